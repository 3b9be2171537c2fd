import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, mintToken } from "../../apps/regional-gateway/test/harness.ts";
import { type ConsoleBrowser, launchConsoleBrowser, screenshot } from "../support/console-browser.ts";
import { onboard, startStack, type TestStack } from "../support/stack.ts";

const CUSTOMER = "keys-console";
let stack: TestStack;
let browser: ConsoleBrowser;
let tab: Page;
let fi: string;
let created: { id: string; secret: string };

const listUrl = () => `${fi}/console/customers/${CUSTOMER}/access-keys`;
const createForm = () => tab.locator(`form[action$="/access-keys"]`);

async function click(name: string, scope: Pick<Page, "getByRole"> = tab) {
  await Promise.all([tab.waitForResponse((r) => r.request().method() === "POST"), scope.getByRole("button", { name }).click()]);
  await tab.waitForLoadState("load");
}

beforeAll(async () => {
  stack = await startStack();
  fi = stack.regions["FI-HEL"].url;
  await onboard(stack, CUSTOMER, "FI-HEL", { customer_name: "Keys Oy", country: "Finland", data_residency_requirement: "strict" });
  browser = await launchConsoleBrowser();
  tab = await browser.signIn(fi, ADMIN_TOKEN);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe("access keys in the browser", () => {
  it("says what to do while a customer has no keys, and shows a refused field's error next to it", async () => {
    await tab.goto(listUrl());
    expect(await tab.locator("main").innerText()).toMatch(/no access keys yet\. Create one with the form below/);
    await createForm().getByLabel("Allowed buckets").fill("Not_A_Bucket!");
    await click("Create access key");
    const error = tab.locator("#f-allowed_buckets-error");
    expect(await error.innerText()).toMatch(/bucket/i);
    expect(await tab.locator("#f-allowed_buckets").getAttribute("aria-invalid")).toBe("true");
    expect(await tab.locator("#f-allowed_buckets").inputValue()).toBe("Not_A_Bucket!");
  });

  it("shows a new key's secret on the creation answer only: never in the list, never after a reload", async () => {
    await tab.goto(listUrl());
    await createForm().getByLabel("Description").fill("nightly backup job");
    await createForm().getByLabel("Permission").selectOption("read-write");
    await createForm().getByLabel("Allowed buckets").fill("docs, reports");
    await click("Create access key");
    created = { id: await tab.getByTestId("new-key-id").innerText(), secret: await tab.getByTestId("new-secret").innerText() };
    expect(created.id).toMatch(/^S3GW[A-Z2-7]{16}$/);
    expect(created.secret).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(await tab.locator("main").innerText()).toMatch(/shown only on this page, once/);

    await tab.goto(listUrl());
    expect(await tab.content()).not.toContain(created.secret);
    const row = tab.locator("tr", { hasText: created.id });
    expect(await row.innerText()).toMatch(/nightly backup job\s+read-write\s+docs, reports\s+active/);
    await screenshot(tab, "access-keys");
    await tab.reload();
    expect(await tab.content()).not.toContain(created.secret);
    // Back to the creation answer: no-store, so the browser has no copy to show.
    await tab.goBack().catch(() => undefined);
    expect(await tab.content()).not.toContain(created.secret);
  });

  it("disables (after a confirm), enables and deletes (after a confirm page) a key", async () => {
    await tab.goto(listUrl());
    const status = () => tab.locator(`[data-key-status="${created.id}"]`).innerText();
    tab.once("dialog", (d) => void d.accept());
    await click("Disable", tab.locator("tr", { hasText: created.id }));
    await tab.getByText(`Access key ${created.id} is disabled.`).waitFor();
    expect(await status()).toBe("disabled");

    await click("Enable", tab.locator("tr", { hasText: created.id }));
    await tab.getByText(`Access key ${created.id} is enabled.`).waitFor();
    expect(await status()).toBe("active");

    await tab.locator("tr", { hasText: created.id }).getByRole("link", { name: "Delete…" }).click();
    await tab.getByRole("heading", { name: `Delete access key ${created.id}?` }).waitFor();
    await click(`Delete ${created.id}`);
    await tab.getByText(`Access key ${created.id} is deleted.`).waitFor();
    expect(await tab.locator("tr", { hasText: created.id }).count()).toBe(0);
  });

  it("offers a scoped officer read-only keys only, as the API grants", async () => {
    const officer = await mintToken(fi, "keys-officer", "compliance_officer", CUSTOMER);
    const other = await launchConsoleBrowser();
    try {
      const page = await other.signIn(fi, officer);
      await page.goto(listUrl());
      expect(await page.locator("#f-permission option").allInnerTexts()).toEqual(["read-only"]);
      expect(await page.getByLabel("May bypass GOVERNANCE retention").count()).toBe(0);
      await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.getByRole("button", { name: "Create access key" }).click()]);
      await page.waitForLoadState("load");
      expect(await page.locator("main").innerText()).toMatch(/Permission\s+read-only/);
    } finally {
      await other.close();
    }
  });
});
