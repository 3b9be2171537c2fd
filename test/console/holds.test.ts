import type { Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, mintToken, s3 } from "../../apps/regional-gateway/test/harness.ts";
import { launchConsoleBrowser, postWithCookie, screenshot, type ConsoleBrowser, signOut, startConsoleRegion } from "../support/console-browser.ts";
import { type TestStack } from "../support/stack.ts";

/**
 * Legal holds in Debian's chromium: an officer places a hold with a reason and lifts it with
 * another; held and retained objects are listed page by page; an auditor reads but has no
 * forms (and a forged POST is refused by the API); a scoped officer sees and touches only its
 * own customer's objects.
 */

let stack: TestStack;
let base: string;
let sql: postgres.Sql;
let browser: ConsoleBrowser;
let officer: string;
let auditor: string;
let acmeOfficer: string;

const lockBucket = { "x-amz-bucket-object-lock-enabled": "true" };
const heldOf = async (customer: string, key: string) =>
  (await sql`select legal_hold, legal_hold_reason from object_metadata where customer_id = ${customer} and object_key = ${key} and is_latest`)[0];
const rowOf = (tab: Page, key: string) => tab.locator("tbody tr", { hasText: key });


beforeAll(async () => {
  ({ stack, base, sql } = await startConsoleRegion({
    "acme-corp": { customer_name: "Acme", country: "Finland", data_residency_requirement: "strict" },
    "beta-corp": { customer_name: "Beta", country: "Finland", data_residency_requirement: "strict" },
  }));
  const acme = s3(base, "acme-corp");
  const beta = s3(base, "beta-corp");
  for (const bucket of ["evidence", "archive"]) expect((await acme(`/${bucket}`, { method: "PUT", headers: lockBucket })).status).toBe(200);
  expect((await acme("/evidence/mail.eml", { method: "PUT", body: "From: x" })).status).toBe(200);
  // 27 retained versions: more than one console page (25).
  const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
  for (let i = 0; i < 27; i++) {
    const key = `records/r${String(i).padStart(2, "0")}.txt`;
    const put = await acme(`/archive/${key}`, { method: "PUT", body: `r${i}`, headers: { "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": until } });
    expect(put.status).toBe(200);
  }
  expect((await beta("/beta-vault", { method: "PUT", headers: lockBucket })).status).toBe(200);
  expect((await beta("/beta-vault/secret.txt", { method: "PUT", body: "beta" })).status).toBe(200);
  const hold = await fetch(`${base}/api/holds`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify({ customer_id: "beta-corp", bucket: "beta-vault", key: "secret.txt", reason: "beta litigation" }),
  });
  expect(hold.status).toBe(200);
  officer = await mintToken(base, "dpo", "compliance_officer");
  auditor = await mintToken(base, "auditor", "auditor");
  acmeOfficer = await mintToken(base, "acme dpo", "compliance_officer", "acme-corp");
  browser = await launchConsoleBrowser();
});

afterAll(async () => {
  await browser?.close();
  await sql?.end();
  await stack?.close();
});

describe("legal holds in the console", () => {
  it("an officer places a hold with a reason and lifts it with another", async () => {
    const tab = await browser.signIn(base, officer);
    await tab.getByRole("link", { name: "Holds", exact: true }).click();
    await tab.locator("#hold-customer_id").fill("acme-corp");
    await tab.locator("#hold-bucket").fill("evidence");
    await tab.locator("#hold-key").fill("absent.eml");
    await tab.locator("#hold-reason").fill("Case 2026-17");
    await tab.getByRole("button", { name: "Place hold" }).click();
    await expect.poll(() => tab.locator("#hold-key").getAttribute("aria-invalid")).toBe("true");
    expect(await tab.locator("#hold-key-error").textContent()).toContain("no object absent.eml");
    expect(await tab.locator("#hold-reason").inputValue()).toBe("Case 2026-17");

    await tab.locator("#hold-key").fill("mail.eml");
    await Promise.all([tab.waitForURL(`${base}/console/holds?customer_id=acme-corp&bucket=evidence`), tab.getByRole("button", { name: "Place hold" }).click()]);
    expect(await tab.locator(".flash-ok").textContent()).toContain("Legal hold placed on evidence/mail.eml");
    expect(await rowOf(tab, "mail.eml").textContent()).toContain("Case 2026-17");
    expect(await heldOf("acme-corp", "mail.eml")).toMatchObject({ legal_hold: true, legal_hold_reason: "Case 2026-17" });
    await screenshot(tab, "holds");

    const row = rowOf(tab, "mail.eml");
    await row.getByLabel(/Reason for lifting/).fill("Case 2026-17 closed");
    await Promise.all([tab.waitForURL(`${base}/console/holds?customer_id=acme-corp&bucket=evidence`), row.getByRole("button", { name: "Lift hold" }).click()]);
    expect(await tab.locator(".flash-ok").textContent()).toContain("Legal hold lifted from evidence/mail.eml");
    expect(await rowOf(tab, "mail.eml").count()).toBe(0);
    expect(await heldOf("acme-corp", "mail.eml")).toMatchObject({ legal_hold: false });
    const [logged] = await sql`select compliance_info from operations_log where operation_type = 'LiftLegalHold' and result = 'success'`;
    expect(logged!.compliance_info).toMatchObject({ reason: "Case 2026-17 closed", hold_reason: "Case 2026-17" });
    await signOut(tab);
  });

  it("an officer holds one noncurrent version by its id and lifts exactly that version's hold", async () => {
    const acme = s3(base, "acme-corp");
    const versionOf = async (body: string) => {
      const res = await acme("/evidence/draft.doc", { method: "PUT", body });
      expect(res.status).toBe(200);
      return res.headers.get("x-amz-version-id")!;
    };
    const old = await versionOf("draft 1");
    const current = await versionOf("draft 2");
    const tab = await browser.signIn(base, officer);
    await tab.goto(`${base}/console/holds`);
    await tab.locator("#hold-customer_id").fill("acme-corp");
    await tab.locator("#hold-bucket").fill("evidence");
    await tab.locator("#hold-key").fill("draft.doc");
    await tab.locator("#hold-version_id").fill("A".repeat(32));
    await tab.locator("#hold-reason").fill("Case 2026-18");
    await tab.getByRole("button", { name: "Place hold" }).click();
    await expect.poll(() => tab.locator("#hold-version_id").getAttribute("aria-invalid")).toBe("true");
    expect(await tab.locator("#hold-version_id-error").textContent()).toContain(`no version ${"A".repeat(32)}`);

    await tab.locator("#hold-version_id").fill(old);
    await Promise.all([tab.waitForURL(`${base}/console/holds?customer_id=acme-corp&bucket=evidence`), tab.getByRole("button", { name: "Place hold" }).click()]);
    expect(await tab.locator(".flash-ok").textContent()).toContain(`Legal hold placed on evidence/draft.doc (version ${old})`);
    expect(await rowOf(tab, old).textContent()).toContain("Case 2026-18");
    expect(await rowOf(tab, current).count()).toBe(0);
    const held = await sql`select version_id from object_metadata where customer_id = 'acme-corp' and object_key = 'draft.doc' and legal_hold`;
    expect(held.map((r) => r.version_id)).toEqual([old]);

    const row = rowOf(tab, old);
    await row.getByLabel(/Reason for lifting/).fill("Case 2026-18 closed");
    await Promise.all([tab.waitForURL(`${base}/console/holds?customer_id=acme-corp&bucket=evidence`), row.getByRole("button", { name: "Lift hold" }).click()]);
    expect(await tab.locator(".flash-ok").textContent()).toContain(`Legal hold lifted from evidence/draft.doc (version ${old})`);
    expect((await sql`select count(*)::int as n from object_metadata where object_key = 'draft.doc' and legal_hold`)[0]!.n).toBe(0);
    await signOut(tab);
  });

  it("lists held and retained objects page by page", async () => {
    const tab = await browser.signIn(base, officer);
    await tab.goto(`${base}/console/holds?customer_id=acme-corp&bucket=archive`);
    const first = await tab.locator("tbody tr").allTextContents();
    expect(first).toHaveLength(25);
    expect(first[0]).toContain("GOVERNANCE");
    await tab.getByRole("link", { name: "Next page" }).click();
    await expect.poll(() => tab.locator("tbody tr").count()).toBe(2);
    expect(tab.url()).toContain("bucket=archive");
    const second = await tab.locator("tbody tr").allTextContents();
    expect(second.join()).toContain("r26.txt");
    expect(first.concat(second).filter((t) => t.includes("records/r")).length).toBe(27);
    await tab.getByRole("link", { name: "First page" }).click();
    await expect.poll(() => tab.locator("tbody tr").count()).toBe(25);
    // A bucket needs its customer: the API's refusal is shown, not a broken page.
    const bad = await tab.goto(`${base}/console/holds?bucket=archive`);
    expect(bad?.status()).toBe(400);
    expect(await tab.getByLabel("Bucket", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect(await tab.locator("#f-bucket-error").textContent()).toContain("needs customer_id");
    await signOut(tab);
  });

  it("an auditor sees holds but cannot place or lift them, and a forged POST is refused by the API", async () => {
    const tab = await browser.signIn(base, auditor);
    await tab.goto(`${base}/console/holds?customer_id=beta-corp`);
    expect(await rowOf(tab, "secret.txt").textContent()).toContain("beta litigation");
    expect(await tab.getByRole("button", { name: "Place hold" }).count()).toBe(0);
    expect(await tab.getByRole("button", { name: "Lift hold" }).count()).toBe(0);
    const cookie = (await browser.sessionCookie(base))!.value;
    const csrf = (await tab.locator("form[action='/console/signout'] input[name=_csrf]").getAttribute("value"))!;
    const lift = await postWithCookie(base, "/console/holds/lift", cookie, { _csrf: csrf, customer_id: "beta-corp", bucket: "beta-vault", key: "secret.txt", reason: "auditor says so" });
    expect(lift.status).toBe(403);
    expect(lift.text).toContain("role auditor may not");
    expect(await heldOf("beta-corp", "secret.txt")).toMatchObject({ legal_hold: true, legal_hold_reason: "beta litigation" });
    await signOut(tab);
  });

  it("a customer-scoped officer sees and acts on its own customer only", async () => {
    const tab = await browser.signIn(base, acmeOfficer);
    await tab.goto(`${base}/console/holds`);
    const customers = await tab.locator("tbody tr td:first-child").allTextContents();
    expect(customers.length).toBeGreaterThan(0);
    expect(new Set(customers)).toEqual(new Set(["acme-corp"]));
    expect(await tab.locator("main").textContent()).not.toContain("secret.txt");
    expect(await tab.locator("#hold-customer_id").count()).toBe(0);
    expect((await tab.goto(`${base}/console/holds?customer_id=beta-corp`))?.status()).toBe(403);
    const cookie = (await browser.sessionCookie(base))!.value;
    const csrf = (await tab.locator("form[action='/console/signout'] input[name=_csrf]").getAttribute("value"))!;
    const lift = await postWithCookie(base, "/console/holds/lift", cookie, { _csrf: csrf, customer_id: "beta-corp", bucket: "beta-vault", key: "secret.txt", reason: "not mine" });
    expect(lift.status).toBe(403);
    expect(lift.text).toContain("may only access customer acme-corp");
    expect(await heldOf("beta-corp", "secret.txt")).toMatchObject({ legal_hold: true });
    await signOut(tab);
  });
});
