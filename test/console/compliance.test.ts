import type { Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, mintToken, s3 } from "../../apps/regional-gateway/test/harness.ts";
import { launchConsoleBrowser, postWithCookie, screenshot, type ConsoleBrowser, signOut, startConsoleRegion } from "../support/console-browser.ts";
import { type TestStack } from "../support/stack.ts";

/**
 * The compliance pages in Debian's chromium: an alert raised by a refused cross-border PUT is
 * resolved with a note; residency validation finds an object stored in the wrong country and
 * raises an alert; the jurisdiction report takes a period; integrity verification reports
 * checked/ok/mismatched; an auditor reads but cannot resolve or verify (a forged resolve is
 * refused by the API); a scoped officer sees only its customer's alerts.
 */

let stack: TestStack;
let base: string;
let sql: postgres.Sql;
let browser: ConsoleBrowser;
let officer: string;
let auditor: string;
let betaOfficer: string;

const RULES = {
  allowed_content_types: null, max_object_size_bytes: null, reject_duplicate_content: false, block_cross_border_access: true,
  unknown_source_country: "allow", anomaly_threshold_per_hour: 1000, public_read_buckets: [],
};

const openAlerts = (type: string) => sql`select event_id, resolved_at, resolution_note from compliance_events where event_type = ${type}`;
const alertRow = (tab: Page, text: string) => tab.locator("tbody tr", { hasText: text });


beforeAll(async () => {
  ({ stack, base, sql } = await startConsoleRegion({
    "acme-corp": { customer_name: "Acme", country: "Finland", data_residency_requirement: "strict" },
    "beta-corp": { customer_name: "Beta", country: "Finland", data_residency_requirement: "strict" },
  }));
  const acme = s3(base, "acme-corp");
  expect((await acme("/ledger", { method: "PUT" })).status).toBe(200);
  for (const key of ["a.csv", "b.csv", "c.csv"]) expect((await acme(`/ledger/${key}`, { method: "PUT", body: `${key} rows` })).status).toBe(200);
  const rules = await fetch(`${base}/api/customers/acme-corp/rules`, { method: "PUT", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify(RULES) });
  expect(rules.status).toBe(200);
  // The edge says this PUT comes from the US: refused, and one cross_border_access_blocked alert.
  expect((await acme("/ledger/from-us.csv", { method: "PUT", body: "x", headers: { "x-source-country": "US" } })).status).toBe(403);
  expect(await openAlerts("cross_border_access_blocked")).toHaveLength(1);
  officer = await mintToken(base, "dpo", "compliance_officer");
  auditor = await mintToken(base, "auditor", "auditor");
  betaOfficer = await mintToken(base, "beta dpo", "compliance_officer", "beta-corp");
  browser = await launchConsoleBrowser();
});

afterAll(async () => {
  await browser?.close();
  await sql?.end();
  await stack?.close();
});

describe("compliance pages", () => {
  it("residency validation finds an object stored abroad and raises an alert", async () => {
    await sql`update object_metadata set storage_country = 'US', region_id = 'US-EAST', storage_provider_id = 'us-east-fs' where object_key = 'b.csv'`;
    const tab = await browser.signIn(base, officer);
    await tab.getByRole("link", { name: "Compliance", exact: true }).click();
    await tab.getByRole("link", { name: "Residency validation" }).click();
    await tab.getByLabel("Customer", { exact: true }).fill("acme-corp");
    await tab.getByRole("button", { name: "Run residency validation" }).click();
    await expect.poll(() => tab.locator("h2", { hasText: "Result" }).textContent()).toContain("violations found");
    expect(await tab.locator("[role=status]").textContent()).toContain("1 object(s)");
    expect(await alertRow(tab, "ledger/b.csv").textContent()).toContain("US-EAST");
    expect(await openAlerts("data_residency_violation")).toHaveLength(1);
    // An unknown customer is reported next to the field.
    await tab.getByLabel("Customer", { exact: true }).fill("ghost-corp");
    await tab.getByRole("button", { name: "Run residency validation" }).click();
    await expect.poll(() => tab.getByLabel("Customer", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect(await tab.locator("#f-customer_id-error").textContent()).toContain("ghost-corp is not registered");
    await signOut(tab);
  });

  it("lists alerts with severity and deadline (overdue marked) and resolves one with a note", async () => {
    const [blocked] = await openAlerts("cross_border_access_blocked");
    await sql`update compliance_events set remediation_deadline = now() - interval '1 hour' where event_id = ${blocked!.event_id}`;
    const tab = await browser.signIn(base, officer);
    await tab.goto(`${base}/console/compliance`);
    const row = alertRow(tab, "cross_border_access_blocked");
    expect(await row.locator(".badge").allTextContents()).toEqual(["medium", "overdue"]);
    expect(await alertRow(tab, "data_residency_violation").locator(".badge").allTextContents()).toEqual(["high"]);
    await screenshot(tab, "compliance");

    // A blank note is refused by the API and shown next to that alert's note.
    const note = row.getByLabel("Resolution note");
    await note.fill("   ");
    await row.getByRole("button", { name: "Resolve" }).click();
    await expect.poll(() => alertRow(tab, "cross_border_access_blocked").getByLabel("Resolution note").getAttribute("aria-invalid")).toBe("true");
    expect(await alertRow(tab, "cross_border_access_blocked").locator(".field-error").textContent()).toMatch(/too small|at least/i);
    expect((await openAlerts("cross_border_access_blocked"))[0]!.resolved_at).toBeNull();

    await alertRow(tab, "cross_border_access_blocked").getByLabel("Resolution note").fill("US office uses the EU VPN now");
    await Promise.all([tab.waitForURL(`${base}/console/compliance`), alertRow(tab, "cross_border_access_blocked").getByRole("button", { name: "Resolve" }).click()]);
    expect(await tab.locator(".flash-ok").textContent()).toContain("Alert resolved");
    expect(await alertRow(tab, "cross_border_access_blocked").count()).toBe(0);
    const [resolved] = await openAlerts("cross_border_access_blocked");
    expect(resolved).toMatchObject({ resolution_note: "US office uses the EU VPN now" });
    expect(resolved!.resolved_at).not.toBeNull();

    await tab.getByLabel("Severity").selectOption("critical");
    await tab.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => tab.locator(".empty").textContent()).toContain("No open alerts match these filters");
    await signOut(tab);
  });

  it("shows the jurisdiction report for a chosen period", async () => {
    const tab = await browser.signIn(base, officer);
    await tab.goto(`${base}/console/compliance/jurisdiction`);
    const today = new Date().toISOString().slice(0, 10);
    await tab.getByLabel("From (UTC day)").fill(today);
    await tab.getByLabel("To (UTC day, inclusive)").fill(today);
    await tab.getByRole("button", { name: "Show report" }).click();
    await expect.poll(() => tab.locator("caption").first().textContent()).toContain(`${today} to ${today}`);
    const acme = alertRow(tab, "acme-corp");
    expect(await acme.textContent()).toContain("not permitted");
    expect(await acme.locator("td").nth(6).textContent()).toBe("1"); // the refused cross-border PUT
    expect(await acme.locator(".badge").last().textContent()).toBe("no");
    expect(await alertRow(tab, "beta-corp").locator(".badge").last().textContent()).toBe("yes");
    // A period that ends before it starts is refused by the API, and said so.
    await tab.getByLabel("From (UTC day)").fill("2026-12-31");
    await tab.getByLabel("To (UTC day, inclusive)").fill("2026-01-01");
    await tab.getByRole("button", { name: "Show report" }).click();
    await expect.poll(() => tab.locator(".form-error").textContent()).toContain("from must not be after to");
    await signOut(tab);
  });

  it("verifies integrity for a bucket and reports checked, ok and mismatched", async () => {
    // b.csv's bytes are back where they are (the residency test only relabelled them); c.csv's recorded hash is wrong.
    await sql`update object_metadata set storage_country = 'FI', region_id = 'FI-HEL', storage_provider_id = 'fi-hel-fs' where object_key = 'b.csv'`;
    await sql`update object_metadata set sha256 = ${"0".repeat(64)} where object_key = 'c.csv'`;
    const tab = await browser.signIn(base, officer);
    await tab.goto(`${base}/console/compliance/integrity`);
    await tab.locator("#f-customer_id").fill("acme-corp");
    await tab.getByLabel("Bucket").fill("nope-bucket");
    await tab.getByRole("button", { name: "Verify integrity" }).click();
    await expect.poll(() => tab.getByLabel("Bucket").getAttribute("aria-invalid")).toBe("true");
    await tab.getByLabel("Bucket").fill("ledger");
    await tab.getByRole("button", { name: "Verify integrity" }).click();
    await expect.poll(() => tab.locator("h2", { hasText: "Result" }).textContent()).toContain("mismatches found");
    expect(await tab.locator(".card .stat").allTextContents()).toEqual(["3", "2", "1"]);
    expect(await alertRow(tab, "ledger/c.csv").textContent()).toContain("hash mismatch");
    await tab.getByLabel("Object key").fill("a.csv");
    await tab.getByRole("button", { name: "Verify integrity" }).click();
    await expect.poll(() => tab.locator("h2", { hasText: "Result" }).textContent()).toContain("all match");
    expect(await tab.locator(".card .stat").allTextContents()).toEqual(["1", "1", "0"]);
    await signOut(tab);
  });

  it("an auditor sees alerts but cannot resolve or verify; a forged resolve is refused by the API", async () => {
    const [open] = await openAlerts("data_residency_violation");
    const tab = await browser.signIn(base, auditor);
    await tab.goto(`${base}/console/compliance`);
    expect(await alertRow(tab, "data_residency_violation").count()).toBe(1);
    expect(await tab.getByRole("button", { name: "Resolve" }).count()).toBe(0);
    expect(await tab.getByRole("link", { name: "Integrity verification" }).count()).toBe(0);
    expect((await tab.goto(`${base}/console/compliance/integrity`))?.status()).toBe(403);
    const cookie = (await browser.sessionCookie(base))!.value;
    const csrf = (await tab.locator("form[action='/console/signout'] input[name=_csrf]").getAttribute("value"))!;
    const forged = await postWithCookie(base, `/console/compliance/alerts/${open!.event_id}/resolve`, cookie, { _csrf: csrf, resolution_note: "auditor closes it" });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain("role auditor may not");
    expect((await openAlerts("data_residency_violation"))[0]!.resolved_at).toBeNull();
    const verify = await postWithCookie(base, "/console/compliance/integrity", cookie, { _csrf: csrf, customer_id: "acme-corp" });
    expect(verify.status).toBe(403);
    await signOut(tab);
  });

  it("a customer-scoped officer sees only its customer's alerts and cannot resolve another's", async () => {
    const [open] = await openAlerts("data_residency_violation");
    const tab = await browser.signIn(base, betaOfficer);
    await tab.goto(`${base}/console/compliance`);
    expect(await tab.locator("main").textContent()).not.toContain("ledger/b.csv");
    expect(await tab.locator(".empty").textContent()).toContain("No open alerts");
    expect((await tab.goto(`${base}/console/compliance?customer_id=acme-corp`))?.status()).toBe(403);
    const cookie = (await browser.sessionCookie(base))!.value;
    const csrf = (await tab.locator("form[action='/console/signout'] input[name=_csrf]").getAttribute("value"))!;
    const forged = await postWithCookie(base, `/console/compliance/alerts/${open!.event_id}/resolve`, cookie, { _csrf: csrf, resolution_note: "not mine" });
    expect(forged.status).toBe(403);
    expect((await openAlerts("data_residency_violation"))[0]!.resolved_at).toBeNull();
    await signOut(tab);
  });
});
