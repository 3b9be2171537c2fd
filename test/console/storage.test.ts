import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminAuth, mintToken } from "../../apps/regional-gateway/test/harness.ts";
import { type ConsoleBrowser, launchConsoleBrowser, PHONE, screenshot } from "../support/console-browser.ts";
import { onboard, startStack, type TestStack } from "../support/stack.ts";

// The customer's bucket is a real S3-compatible server: the DE-FRA gateway of the same stack,
// where a customer of its own owns the bucket the FI-HEL customer's objects go to.
const CUSTOMER = "byob-console";
const VAULT_OWNER = "vault-console";
const BUCKET = "byob-vault";
type Key = { access_key_id: string; secret_access_key: string };

let stack: TestStack;
let browser: ConsoleBrowser;
let tab: Page;
let fi: string;
let backend: string;
let keys: Key[] = [];

async function newBackendKey(): Promise<Key> {
  const res = await fetch(`${backend}/api/customers/${VAULT_OWNER}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
  expect(res.status).toBe(201);
  return (await res.json()) as Key;
}

const storageUrl = () => `${fi}/console/customers/${CUSTOMER}/storage`;
const configForm = () => tab.locator(`form[action$="/storage/save"]`);
const rotateForm = () => tab.locator(`form[action$="/storage/rotate"]`);

async function fillConfig(secret: string, mode: "hosted" | "customer", key = keys[0]!) {
  const form = configForm();
  const fields = { provider_label: "aws", bucket: BUCKET, region: "eu-central-1", endpoint: backend, access_key_id: key.access_key_id, secret_access_key: secret, path_prefix: "gw/fi" };
  for (const [name, value] of Object.entries(fields)) await form.locator(`[name="${name}"]`).fill(value);
  await form.locator(`input[name="mode"][value="${mode}"]`).check();
}

async function submitIn(form: ReturnType<typeof configForm>, name: string) {
  await Promise.all([tab.waitForLoadState("load"), tab.waitForResponse((r) => r.request().method() === "POST"), form.getByRole("button", { name }).click()]);
}

const text = (testId: string) => tab.getByTestId(testId).innerText();

beforeAll(async () => {
  stack = await startStack();
  fi = stack.regions["FI-HEL"].url;
  backend = stack.regions["DE-FRA"].url;
  await onboard(stack, CUSTOMER, "FI-HEL", { customer_name: "BYOB Oy", country: "Finland", data_residency_requirement: "jurisdiction" });
  await onboard(stack, VAULT_OWNER, "DE-FRA", { customer_name: "Vault GmbH", country: "Germany", data_residency_requirement: "strict" });
  keys = [await newBackendKey(), await newBackendKey()];
  const sdk = new S3Client({ endpoint: backend, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: keys[0]!.access_key_id, secretAccessKey: keys[0]!.secret_access_key } });
  await sdk.send(new CreateBucketCommand({ Bucket: BUCKET }));
  sdk.destroy();
  browser = await launchConsoleBrowser();
  tab = await browser.signIn(fi, ADMIN_TOKEN);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe("storage settings in the browser", () => {
  it("shows an unconfigured customer as hosted, with the permissions and the example policy", async () => {
    await tab.goto(storageUrl());
    expect(await text("effective-target")).toMatch(/hosted storage/);
    expect(await tab.locator("#iam-policy").innerText()).toContain('"s3:PutObject"');
    await expect.poll(() => tab.getByRole("button", { name: "Validate connection" }).count()).toBe(0);
  });

  it("validates a wrong secret as a classified failure with its hint, then the fixed one, and activates", async () => {
    const wrong = `${keys[0]!.secret_access_key.slice(0, -4)}XXXX`;
    await fillConfig(wrong, "hosted");
    await submitIn(configForm(), "Save");
    await tab.getByText("Saved. New objects stay in hosted storage.").waitFor();
    expect(await text("validation-status")).toBe("unvalidated");

    await submitIn(tab.locator(`form[action$="/storage/validate"]`), "Validate connection");
    const failure = tab.locator("[data-error-class]").first();
    expect(await failure.getAttribute("data-error-class")).toBe("invalid_credentials");
    expect(await failure.innerText()).toMatch(/refused the access key id or the secret/);
    expect(await text("validation-status")).toBe("unhealthy");
    await screenshot(tab, "storage");

    await fillConfig(keys[0]!.secret_access_key, "hosted");
    await submitIn(configForm(), "Save");
    await submitIn(tab.locator(`form[action$="/storage/validate"]`), "Validate connection");
    expect(await tab.locator("#probe-title").innerText()).toBe("Probe result: passed");
    expect(await text("validation-status")).toBe("healthy");
    expect(await text("effective-target")).toMatch(/^this region's hosted storage/);

    await fillConfig(keys[0]!.secret_access_key, "customer");
    await submitIn(configForm(), "Save");
    await tab.getByText("Saved. New objects go to the bucket.").waitFor();
    expect(await text("effective-target")).toMatch(/^the customer's bucket cust-[0-9a-f-]{36}$/);
    // The policy is generated for the configured bucket and prefix.
    expect(await tab.locator("#iam-policy").innerText()).toContain(`"arn:aws:s3:::${BUCKET}/gw/fi/*"`);
    const html = await tab.content();
    expect(html).not.toContain(keys[0]!.secret_access_key);
    expect(await text("secret-fingerprint")).toMatch(/^hmac-sha256:/);
  });

  it("rotates to new credentials after their probe, and refuses failing ones with the hint, keeping the old", async () => {
    await tab.goto(storageUrl());
    const before = await text("secret-fingerprint");
    await rotateForm().locator('[name="access_key_id"]').fill(keys[1]!.access_key_id);
    await rotateForm().locator('[name="secret_access_key"]').fill(keys[1]!.secret_access_key);
    await submitIn(rotateForm(), "Rotate credentials");
    await tab.getByText("Credentials rotated.").waitFor();
    const after = await text("secret-fingerprint");
    expect(after).not.toBe(before);

    await rotateForm().locator('[name="secret_access_key"]').fill("not-the-secret-at-all");
    await submitIn(rotateForm(), "Rotate credentials");
    expect(await tab.locator("[data-error-class]").first().getAttribute("data-error-class")).toBe("invalid_credentials");
    expect(await rotateForm().locator(".form-error").innerText()).toMatch(/old ones stay in place/);
    expect(await text("secret-fingerprint")).toBe(after);
    expect(await tab.content()).not.toContain(keys[1]!.secret_access_key);
  });

  it("an admin override needs a reason, which the audit row keeps", async () => {
    await tab.goto(storageUrl());
    await fillConfig("wrong-secret-for-override", "customer", keys[1]);
    await configForm().getByLabel("Activate although the probe fails").check();
    await submitIn(configForm(), "Save");
    expect(await configForm().locator("#save-override-reason-error").innerText()).toMatch(/Give a reason/);
    await fillConfig("wrong-secret-for-override", "customer", keys[1]);
    await configForm().getByLabel("Activate although the probe fails").check();
    await configForm().getByLabel("Reason for the override").fill("bucket owner's IAM change pending, ticket 4711");
    await submitIn(configForm(), "Save");
    expect(await tab.locator("dl").innerText()).toMatch(/Activated without a passing probe by/);
    const audit = await fetch(`${fi}/api/audit/operations?operation=PutCustomerStorage&limit=5`, { headers: adminAuth });
    expect(JSON.stringify(await audit.json())).toContain("ticket 4711");
  });

  it("disables customer storage: new objects go to hosted storage again", async () => {
    await tab.goto(storageUrl());
    tab.once("dialog", (d) => void d.accept());
    await submitIn(tab.locator(`form[action$="/storage/disable"]`), "Disable customer storage");
    expect(tab.url()).toBe(storageUrl());
    await tab.getByText("Customer storage is disabled: new objects go to hosted storage").waitFor();
    expect(await text("effective-target")).toMatch(/^this region's hosted storage/);
    expect(await tab.getByRole("button", { name: "Disable customer storage" }).count()).toBe(0);
  });

  it("fits a phone-width screen", async () => {
    const phone = await browser.newPage(PHONE);
    await phone.goto(storageUrl());
    expect(await phone.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(PHONE.width);
    await phone.close();
  });

  it("a region-wide officer sees the configuration but no forms", async () => {
    const officer = await mintToken(fi, "officer-wide", "compliance_officer");
    const other = await launchConsoleBrowser();
    try {
      const page = await other.signIn(fi, officer);
      await page.goto(storageUrl());
      expect(await page.getByTestId("validation-status").count()).toBe(1);
      expect(await page.locator(`form[action$="/storage/save"]`).count()).toBe(0);
      expect(await page.locator("body").innerText()).toMatch(/may view this configuration but not change it/);
    } finally {
      await other.close();
    }
  });
});
