import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, mintToken, s3 } from "../../apps/regional-gateway/test/harness.ts";
import { launchConsoleBrowser, postWithCookie, screenshot, type ConsoleBrowser, signOut, startConsoleRegion } from "../support/console-browser.ts";
import { type TestStack } from "../support/stack.ts";

/**
 * The audit pages in Debian's chromium: each filter of the operations log narrows the rows to
 * what the database says matches; pages follow the API's cursor; the chain's verification and
 * signed checkpoints are shown (and a tampered row breaks it); the export downloads the API's
 * JSON Lines; an auditor cannot sign checkpoints (a forged POST is refused by the API); a
 * customer-scoped auditor sees only its customer and no region-wide chain or export.
 */

let stack: TestStack;
let base: string;
let sql: postgres.Sql;
let browser: ConsoleBrowser;
let auditor: string;
let acmeAuditor: string;

const rows = (tab: Page) => tab.locator("tbody tr");
const column = (tab: Page, n: number) => tab.locator(`tbody tr td:nth-child(${n})`).allTextContents();

async function filter(tab: Page, fill: (tab: Page) => Promise<void>) {
  await tab.goto(`${base}/console/audit`);
  await fill(tab);
  await Promise.all([tab.waitForURL(/\/console\/audit\?/), tab.getByRole("button", { name: "Filter" }).click()]);
}


beforeAll(async () => {
  ({ stack, base, sql } = await startConsoleRegion({
    "acme-corp": { customer_name: "Acme", country: "Finland", data_residency_requirement: "strict" },
    "delta-gmbh": { customer_name: "Delta", country: "DE", data_residency_requirement: "jurisdiction" },
  }));
  const acme = s3(base, "acme-corp");
  const delta = s3(base, "delta-gmbh");
  expect((await acme("/contracts", { method: "PUT" })).status).toBe(200);
  expect((await acme("/photos", { method: "PUT" })).status).toBe(200);
  for (const k of ["2026/a.pdf", "2026/b.pdf", "2025/c.pdf"]) expect((await acme(`/contracts/${k}`, { method: "PUT", body: k })).status).toBe(200);
  for (let i = 0; i < 60; i++) expect((await acme(`/photos/p${i}.jpg`, { method: "PUT", body: `p${i}` })).status).toBe(200);
  expect((await acme("/contracts/2026/missing.pdf")).status).toBe(404);
  // A German customer's bytes stored in Finland: its writes are cross-border transfers.
  expect((await delta("/files", { method: "PUT" })).status).toBe(200);
  expect((await delta("/files/d.bin", { method: "PUT", body: "delta", headers: { "x-source-country": "DE" } })).status).toBe(200);
  auditor = await mintToken(base, "auditor", "auditor");
  acmeAuditor = await mintToken(base, "acme auditor", "auditor", "acme-corp");
  browser = await launchConsoleBrowser();
});

afterAll(async () => {
  await browser?.close();
  await sql?.end();
  await stack?.close();
});

describe("the audit pages", () => {
  it("each filter narrows the operations log to the rows that match", async () => {
    const tab = await browser.signIn(base, auditor);
    await tab.getByRole("link", { name: "Audit", exact: true }).click();
    expect(await rows(tab).count()).toBe(50);

    await filter(tab, async (t) => {
      await t.getByLabel("Customer", { exact: true }).fill("acme-corp");
      await t.getByLabel("Operation", { exact: true }).fill("PutObject");
      await t.getByLabel("Bucket", { exact: true }).fill("contracts");
      await t.getByLabel("Key prefix", { exact: true }).fill("2026/");
    });
    expect(await column(tab, 4)).toEqual(["contracts/2026/b.pdf", "contracts/2026/a.pdf"]);
    expect(new Set(await column(tab, 2))).toEqual(new Set(["PutObject"]));
    await screenshot(tab, "audit");

    await filter(tab, async (t) => {
      await t.getByLabel("Customer", { exact: true }).fill("acme-corp");
      await t.getByLabel("Result", { exact: true }).selectOption("error");
    });
    expect(await column(tab, 4)).toEqual(["contracts/2026/missing.pdf"]);
    expect((await rows(tab).first().textContent())!).toContain("NoSuchKey");

    await filter(tab, async (t) => t.getByLabel("Cross-border only").check());
    const crossing = await sql`select count(*)::int as n from operations_log where cross_border_transfer`;
    expect(crossing[0]!.n).toBeGreaterThan(0);
    expect(await rows(tab).count()).toBe(crossing[0]!.n);
    expect(new Set(await column(tab, 3))).toEqual(new Set(["delta-gmbh"]));
    expect(await tab.getByLabel("Cross-border only").isChecked()).toBe(true);

    // A time range: from the first delta write on, only what came after it.
    const [first] = await sql`select created_at from operations_log where customer_id = 'delta-gmbh' order by id limit 1`;
    const from = (first!.created_at as Date).toISOString().slice(0, 19);
    await filter(tab, async (t) => {
      await t.getByLabel("From (UTC)").fill(from);
      await t.getByLabel("Customer", { exact: true }).fill("delta-gmbh");
    });
    // This page's own query is logged under delta-gmbh too, after it answered.
    const after = await sql`select count(*)::int as n from operations_log where customer_id = 'delta-gmbh' and created_at >= ${`${from}Z`} and operation_type <> 'ListOperations'`;
    expect(await rows(tab).count()).toBe(after[0]!.n);
    await filter(tab, async (t) => t.getByLabel("From (UTC)").fill("2999-01-01T00:00:00"));
    expect(await tab.locator(".empty").textContent()).toContain("No operations match these filters");
    await signOut(tab);
  });

  it("pages through the log with the API's cursor, keeping the filters", async () => {
    const tab = await browser.signIn(base, auditor);
    await tab.goto(`${base}/console/audit?customer_id=acme-corp`);
    const firstPage = await column(tab, 4);
    expect(firstPage).toHaveLength(50);
    await tab.getByRole("link", { name: "Next page" }).click();
    await expect.poll(() => tab.url()).toContain("cursor=");
    expect(tab.url()).toContain("customer_id=acme-corp");
    const secondPage = await column(tab, 4);
    expect(secondPage.length).toBeGreaterThan(0);
    expect(new Set(await column(tab, 3))).toEqual(new Set(["acme-corp"]));
    // Newest first: the second page holds the oldest writes.
    expect(secondPage).toContain("contracts/2026/a.pdf");
    expect(firstPage).not.toContain("contracts/2026/a.pdf");
    await signOut(tab);
  });

  it("shows the chain's verification and checkpoints, signs one (admin), and exports the log", async () => {
    const admin = await browser.signIn(base, ADMIN_TOKEN);
    await admin.goto(`${base}/console/audit/chain`);
    expect(await admin.locator("[role=status]").first().textContent()).toContain("intact");
    expect(await admin.locator(".empty").textContent()).toContain("No signed checkpoints yet");
    await Promise.all([admin.waitForURL(`${base}/console/audit/chain`), admin.getByRole("button", { name: "Sign a checkpoint now" }).click()]);
    expect(await admin.locator(".flash-ok").textContent()).toMatch(/Checkpoint \d+ signed/);
    expect(await admin.locator("table", { hasText: "Signed checkpoints" }).locator("tbody tr").count()).toBe(1);
    await signOut(admin);

    const tab = await browser.signIn(base, auditor);
    await tab.goto(`${base}/console/audit/chain`);
    expect(await tab.getByRole("button", { name: "Sign a checkpoint now" }).count()).toBe(0);
    const [cp] = await sql`select id, last_id from audit_checkpoints order by id desc limit 1`;
    expect(await tab.locator("body").textContent()).toContain(`signed up to row ${cp!.last_id}`);
    await tab.getByLabel("From row").fill("1");
    await tab.getByLabel("To row").fill(String(cp!.last_id));
    const [download] = await Promise.all([tab.waitForEvent("download"), tab.getByRole("button", { name: "Download JSON Lines" }).click()]);
    expect(download.suggestedFilename()).toBe("audit-FI-HEL.jsonl");
    const lines = (await readFile((await download.path())!, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { type: string; id?: number; role?: string });
    const covered = (await sql`select count(*)::int as n from operations_log where id <= ${cp!.last_id}`)[0]!.n;
    expect(lines.filter((l) => l.type === "row")).toHaveLength(covered);
    expect(lines.find((l) => l.type === "checkpoint" && l.role === "end")).toBeTruthy();
    expect(lines.at(-1)!.type).toBe("summary");

    // Both an id range and a time range: the API's refusal is shown on the chain page.
    await tab.goto(`${base}/console/audit/export?from_id=1&from=2026-01-01T00:00:00&to=2026-01-02T00:00:00`);
    expect(await tab.locator(".form-error").textContent()).toContain("not both");

    // A row edited behind the gateway's back breaks the chain, and the page says where.
    const [victim] = await sql`select id, result from operations_log where object_key = 'p3.jpg' limit 1`;
    await sql`update operations_log set result = 'denied' where id = ${victim!.id}`;
    await tab.goto(`${base}/console/audit/chain`);
    expect(await tab.locator("[role=alert]").first().textContent()).toContain(`breaks at row ${victim!.id}`);
    await sql`update operations_log set result = ${victim!.result} where id = ${victim!.id}`;

    // Signing is for admins: the auditor's own valid form post is refused by the API.
    const cookie = (await browser.sessionCookie(base))!.value;
    const csrf = (await tab.locator("form[action='/console/signout'] input[name=_csrf]").getAttribute("value"))!;
    const before = (await sql`select count(*)::int as n from audit_checkpoints`)[0]!.n;
    const forged = await postWithCookie(base, "/console/audit/checkpoints", cookie, { _csrf: csrf });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain("role auditor may not");
    expect((await sql`select count(*)::int as n from audit_checkpoints`)[0]!.n).toBe(before);
    await signOut(tab);
  });

  it("a compliance officer reads the operations log but not the checkpoints or the export", async () => {
    const officer = await mintToken(base, "dpo", "compliance_officer");
    const tab = await browser.signIn(base, officer);
    await tab.goto(`${base}/console/audit?customer_id=acme-corp&operation=PutObject&bucket=contracts`);
    expect(await rows(tab).count()).toBe(3);
    expect(await tab.getByRole("link", { name: /Chain verification/ }).count()).toBe(0);
    expect((await tab.goto(`${base}/console/audit/chain`))?.status()).toBe(403);
    const cookie = (await browser.sessionCookie(base))!.value;
    expect((await fetch(`${base}/console/audit/export`, { headers: { cookie: `s3gw_console=${cookie}` } })).status).toBe(403);
    await signOut(tab);
  });

  it("a customer-scoped auditor sees only its customer and no region-wide chain or export", async () => {
    const tab = await browser.signIn(base, acmeAuditor);
    await tab.goto(`${base}/console/audit`);
    expect(new Set(await column(tab, 3))).toEqual(new Set(["acme-corp"]));
    expect(await tab.getByLabel("Customer", { exact: true }).count()).toBe(0);
    expect(await tab.getByRole("link", { name: /Chain verification/ }).count()).toBe(0);
    expect((await tab.goto(`${base}/console/audit?customer_id=delta-gmbh`))?.status()).toBe(403);
    expect((await tab.goto(`${base}/console/audit/chain`))?.status()).toBe(403);
    expect(await tab.locator("main").textContent()).toContain("customer-scoped token cannot");
    const cookie = (await browser.sessionCookie(base))!.value;
    const exported = await fetch(`${base}/console/audit/export`, { headers: { cookie: `s3gw_console=${cookie}` } });
    expect(exported.status).toBe(403);
    expect(exported.headers.get("content-disposition")).toBeNull();
    await signOut(tab);
  });
});
