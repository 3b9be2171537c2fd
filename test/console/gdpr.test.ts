import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, mintToken, s3 } from "../../apps/regional-gateway/test/harness.ts";
import { launchConsoleBrowser, PHONE, postWithCookie, screenshot, type ConsoleBrowser, signOut, startConsoleRegion } from "../support/console-browser.ts";
import { type TestStack } from "../support/stack.ts";

/**
 * GDPR requests in Debian's chromium: an officer records a request, executes it and downloads
 * its export through the console; deadline states read as words; tracked types take status and
 * notes; an auditor reads but cannot act (and a forged POST is refused by the API); a scoped
 * officer never sees another customer's requests.
 */

let stack: TestStack;
let base: string;
let sql: postgres.Sql;
let browser: ConsoleBrowser;
let officer: string;
let auditor: string;
let acmeOfficer: string;

const createAs = async (customer: string, subject: string, type: string) => {
  const res = await fetch(`${base}/api/gdpr/requests`, {
    method: "POST",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify({ customer_id: customer, data_subject_id: subject, request_type: type }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { request_id: string }).request_id;
};

const statusOf = async (id: string) => ((await sql`select status from data_subject_requests where request_id = ${id}`)[0]!.status as string);
const rowOf = (tab: Page, text: string) => tab.locator("tbody tr", { hasText: text });


beforeAll(async () => {
  ({ stack, base, sql } = await startConsoleRegion({
    "acme-corp": { customer_name: "Acme", country: "Finland", data_residency_requirement: "strict" },
    "beta-corp": { customer_name: "Beta", country: "Finland", data_residency_requirement: "strict" },
  }));
  const acme = s3(base, "acme-corp");
  expect((await acme("/hr-files", { method: "PUT" })).status).toBe(200);
  const put = await acme("/hr-files/alice/contract.txt", { method: "PUT", body: "Alice's contract", headers: { "x-amz-meta-data-subject-id": "alice@acme.fi" } });
  expect(put.status).toBe(200);
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

describe("GDPR requests in the console", () => {
  it("an officer creates an access request, executes it and downloads the export", async () => {
    const tab = await browser.signIn(base, officer);
    await tab.getByRole("link", { name: "GDPR", exact: true }).click();
    await tab.locator("#dsr-customer_id").fill("acme-corp");
    await tab.getByLabel("Data subject id").fill("alice@acme.fi");
    await tab.getByLabel("Request type").selectOption("access");
    await tab.getByLabel("Notes").fill("received by e-mail");
    await Promise.all([tab.waitForURL(/\/console\/gdpr\/[0-9a-f-]{36}$/), tab.getByRole("button", { name: "Create request" }).click()]);
    const id = tab.url().split("/").at(-1)!;
    expect(await tab.locator(".flash-ok").textContent()).toContain("access request is recorded");
    expect(await tab.getByTestId("dsr-status").textContent()).toBe("pending");
    expect(await tab.locator(".badge", { hasText: "on time" }).count()).toBe(1);
    expect(await tab.locator("pre").first().textContent()).toContain("received by e-mail");
    // No export before execution.
    expect(await tab.getByRole("link", { name: /Download the export/ }).count()).toBe(0);

    // Execute asks first (console.js); dismissing it sends nothing.
    tab.once("dialog", (d) => void d.dismiss());
    await tab.getByRole("button", { name: "Execute access request" }).click();
    expect(await statusOf(id)).toBe("pending");
    tab.once("dialog", (d) => void d.accept());
    await Promise.all([tab.waitForURL(`${base}/console/gdpr/${id}`), tab.getByRole("button", { name: "Execute access request" }).click()]);
    await expect.poll(() => tab.locator(".flash-ok").textContent()).toContain("export of 1 object(s) is ready");
    expect(await tab.getByTestId("dsr-status").textContent()).toBe("completed");
    expect(await tab.getByRole("button", { name: /Execute/ }).count()).toBe(0);

    const [download] = await Promise.all([tab.waitForEvent("download"), tab.getByRole("link", { name: /Download the export/ }).click()]);
    expect(download.suggestedFilename()).toBe(`dsr-${id}.json`);
    const exported = JSON.parse(await readFile((await download.path())!, "utf8"));
    expect(JSON.stringify(exported)).toContain("alice/contract.txt");
    expect(JSON.stringify(exported)).toContain("alice@acme.fi");
    expect(JSON.stringify(exported)).not.toContain("beta-corp");
    // The export went through the console with the session's token: the API logged it as the officer.
    const [logged] = await sql`select principal, result from operations_log where operation_type = 'ExportDataSubjectData' order by id desc limit 1`;
    expect(logged).toMatchObject({ result: "success" });
    expect(String(logged!.principal)).toMatch(/\(compliance_officer\)$/);
    await signOut(tab);
  });

  it("shows each request's deadline state as words, and a refused create next to its field", async () => {
    const near = await createAs("beta-corp", "near@beta.example", "erasure");
    const late = await createAs("beta-corp", "late@beta.example", "rectification");
    await sql`update data_subject_requests set response_deadline = now() + interval '3 days' where request_id = ${near}`;
    await sql`update data_subject_requests set response_deadline = now() - interval '2 days' where request_id = ${late}`;
    const tab = await browser.signIn(base, officer);
    await tab.goto(`${base}/console/gdpr`);
    expect(await rowOf(tab, "near@beta.example").locator(".badge").textContent()).toBe("deadline near");
    expect(await rowOf(tab, "late@beta.example").locator(".badge").textContent()).toBe("overdue");
    expect(await rowOf(tab, "late@beta.example").locator(".badge-bad").count()).toBe(1);
    expect(await rowOf(tab, "alice@acme.fi").locator(".badge").textContent()).toBe("closed");
    await tab.getByLabel("Deadline").selectOption("true");
    await tab.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => tab.locator("tbody tr").count()).toBe(1);
    expect(await tab.locator("tbody tr").textContent()).toContain("late@beta.example");
    await tab.goto(`${base}/console/gdpr`);
    await screenshot(tab, "gdpr");
    // At phone width the page does not scroll sideways: wide tables scroll inside their frame.
    const phone = await browser.newPage(PHONE);
    await phone.goto(`${base}/console/gdpr`);
    expect(await phone.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(PHONE.width);
    await phone.close();

    await tab.goto(`${base}/console/gdpr`);
    await tab.locator("#dsr-customer_id").fill("ghost-corp");
    await tab.getByLabel("Data subject id").fill("bob");
    await tab.getByRole("button", { name: "Create request" }).click();
    const field = tab.locator("#dsr-customer_id");
    await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
    expect(await tab.locator("#dsr-customer_id-error").textContent()).toContain("ghost-corp is not registered");
    expect(await field.inputValue()).toBe("ghost-corp");
    expect(await tab.getByLabel("Data subject id").inputValue()).toBe("bob");
    await signOut(tab);
  });

  it("executes a restriction (reads refused) and lifts it", async () => {
    const id = await createAs("acme-corp", "alice@acme.fi", "restriction");
    const read = () => s3(base, "acme-corp")("/hr-files/alice/contract.txt");
    const tab = await browser.signIn(base, officer);
    await tab.goto(`${base}/console/gdpr/${id}`);
    tab.once("dialog", (d) => void d.accept());
    await Promise.all([tab.waitForURL(`${base}/console/gdpr/${id}`), tab.getByRole("button", { name: "Execute restriction request" }).click()]);
    await expect.poll(() => tab.locator(".flash-ok").textContent()).toContain("reads of 1 object(s) are now refused");
    expect((await read()).status).toBe(403);
    tab.once("dialog", (d) => void d.accept());
    await Promise.all([tab.waitForURL(`${base}/console/gdpr/${id}`), tab.getByRole("button", { name: "Lift the restriction" }).click()]);
    await expect.poll(() => tab.locator(".flash-ok").textContent()).toContain("restriction is lifted");
    expect(await tab.getByRole("button", { name: "Lift the restriction" }).count()).toBe(0);
    expect((await read()).status).toBe(200);
    await signOut(tab);
  });

  it("tracks an objection's status and notes", async () => {
    const id = await createAs("acme-corp", "carol@acme.fi", "objection");
    const tab = await browser.signIn(base, officer);
    await tab.goto(`${base}/console/gdpr/${id}`);
    expect(await tab.getByRole("button", { name: /Execute/ }).count()).toBe(0);
    await tab.getByLabel("Status", { exact: true }).selectOption("in_progress");
    await tab.getByLabel("Note", { exact: true }).fill("identity verified by phone");
    await Promise.all([tab.waitForURL(`${base}/console/gdpr/${id}`), tab.getByRole("button", { name: "Save" }).click()]);
    expect(await tab.getByTestId("dsr-status").textContent()).toBe("in progress");
    expect(await tab.locator("pre").last().textContent()).toContain("identity verified by phone");
    expect(await tab.locator("table", { hasText: "Status history" }).locator("tbody tr").count()).toBe(1);
    await tab.getByLabel("Status", { exact: true }).selectOption("completed");
    await Promise.all([tab.waitForURL(`${base}/console/gdpr/${id}`), tab.getByRole("button", { name: "Save" }).click()]);
    expect(await tab.getByTestId("dsr-status").textContent()).toBe("completed");
    expect(await tab.getByLabel("Status", { exact: true }).count()).toBe(0);
    expect(await statusOf(id)).toBe("completed");
    await signOut(tab);
  });

  it("an auditor reads requests but has no create, execute or export, and a forged execute is refused by the API", async () => {
    const id = await createAs("acme-corp", "dave@acme.fi", "erasure");
    const tab = await browser.signIn(base, auditor);
    await tab.goto(`${base}/console/gdpr`);
    expect(await rowOf(tab, "dave@acme.fi").count()).toBe(1);
    expect(await tab.getByRole("button", { name: "Create request" }).count()).toBe(0);
    await tab.goto(`${base}/console/gdpr/${id}`);
    expect(await tab.getByTestId("dsr-status").textContent()).toBe("pending");
    expect(await tab.locator("form[action$='/execute']").count()).toBe(0);
    expect(await tab.getByRole("button", { name: "Save" }).count()).toBe(0);
    // With the auditor's own valid session and form token, the console asks the API, which refuses.
    const cookie = (await browser.sessionCookie(base))!.value;
    const csrf = (await tab.locator("form[action='/console/signout'] input[name=_csrf]").getAttribute("value"))!;
    const forged = await postWithCookie(base, `/console/gdpr/${id}/execute`, cookie, { _csrf: csrf });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain("role auditor may not");
    expect(await statusOf(id)).toBe("pending");
    const exported = await fetch(`${base}/console/gdpr/${id}/export`, { headers: { cookie: `s3gw_console=${cookie}` } });
    expect(exported.status).toBe(403);
    const [denied] = await sql`select result from operations_log where operation_type = 'ExecuteDataSubjectRequest' and principal like '%auditor%' order by id desc limit 1`;
    expect(denied?.result).toBe("denied");
    await signOut(tab);
  });

  it("a customer-scoped officer sees only its customer's requests", async () => {
    const beta = await createAs("beta-corp", "erin@beta.example", "access");
    const tab = await browser.signIn(base, acmeOfficer);
    await tab.goto(`${base}/console/gdpr`);
    const customers = await tab.locator("tbody tr td:nth-child(2)").allTextContents();
    expect(customers.length).toBeGreaterThan(0);
    expect(new Set(customers)).toEqual(new Set(["acme-corp"]));
    expect(await tab.locator("body").textContent()).not.toContain("beta.example");
    // No customer field: the request is always for acme-corp.
    expect(await tab.locator("#dsr-customer_id").count()).toBe(0);
    const other = await tab.goto(`${base}/console/gdpr/${beta}`);
    expect(other?.status()).toBe(404);
    expect(await tab.locator("body").textContent()).not.toContain("erin@beta.example");
    const asked = await tab.goto(`${base}/console/gdpr?customer_id=beta-corp`);
    expect(asked?.status()).toBe(403);
    expect(await tab.locator("main").textContent()).toContain("may only access customer acme-corp");
    await signOut(tab);
  });
});
