import postgres from "postgres";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminAuth, mintToken, s3 } from "../../apps/regional-gateway/test/harness.ts";
import { launchConsoleBrowser, PHONE, screenshot, type ConsoleBrowser } from "../support/console-browser.ts";
import { onboard, startStack, type TestStack } from "../support/stack.ts";

/**
 * The overview in Debian's chromium: health, traffic charts and the compliance work waiting,
 * as each role and scope may see them through the API; and the global endpoint's region picker.
 */

let stack: TestStack;
let base: string;
let sql: postgres.Sql;
let browser: ConsoleBrowser;
let officerToken: string;
let auditorToken: string;

const api = (path: string, method: string, body: unknown) =>
  fetch(`${base}${path}`, { method, headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify(body) });
const card = (tab: Page, label: string) => tab.locator("a.card", { hasText: label });
const cardCount = async (tab: Page, label: string) => (await card(tab, label).locator(".stat").textContent())?.trim();

beforeAll(async () => {
  stack = await startStack();
  base = stack.regions["FI-HEL"].url;
  sql = postgres(stack.regions["FI-HEL"].databaseUrl, { max: 2, onnotice: () => {} });
  await onboard(stack, "acme-corp", "FI-HEL", { customer_name: "Acme", country: "Finland", data_residency_requirement: "strict" });
  await onboard(stack, "beta-oy", "FI-HEL", { customer_name: "Beta", country: "Finland", data_residency_requirement: "strict" });
  for (const customer of ["acme-corp", "beta-oy"]) {
    const created = await api("/api/gdpr/requests", "POST", { customer_id: customer, data_subject_id: `subject-of-${customer}`, request_type: "access" });
    expect(created.status).toBe(201);
  }
  // beta-oy's request is past its deadline.
  await sql`update data_subject_requests set response_deadline = now() - interval '1 day' where customer_id = 'beta-oy'`;
  const client = s3(base, "acme-corp");
  expect((await client("/reports", { method: "PUT" })).status).toBe(200);
  expect((await client("/reports/q1.txt", { method: "PUT", body: "quarterly" })).status).toBe(200);
  expect((await api("/api/holds", "PUT", { customer_id: "acme-corp", bucket: "reports", key: "q1.txt", reason: "litigation 2026-17" })).status).toBe(200);
  officerToken = await mintToken(base, "officer", "compliance_officer", "acme-corp");
  auditorToken = await mintToken(base, "auditor", "auditor");
  browser = await launchConsoleBrowser();
});

afterAll(async () => {
  await browser?.close();
  await sql?.end();
  await stack?.close();
});

describe("overview", () => {
  it("shows an admin the region's health, traffic charts and every customer's waiting work, each linking to its page", async () => {
    const tab = await browser.signIn(base, ADMIN_TOKEN);
    const res = await tab.reload();
    expect(res?.status()).toBe(200);
    const health = tab.locator("section[aria-labelledby=health-h]");
    expect(await health.locator(".badge").allTextContents()).toEqual(["ok", "ok"]);
    expect(await cardCount(tab, "Pending GDPR requests")).toBe("2");
    expect(await cardCount(tab, "Overdue GDPR requests")).toBe("1");
    expect(await cardCount(tab, "Objects under legal hold")).toBe("1");
    expect(await cardCount(tab, "Open violations and alerts")).toMatch(/^\d+$/);
    expect(await card(tab, "Overdue GDPR requests").getAttribute("href")).toBe("/console/gdpr?overdue=true");
    expect(await card(tab, "Overdue GDPR requests").getAttribute("class")).toContain("attention");
    expect(await card(tab, "Objects under legal hold").getAttribute("href")).toBe("/console/holds");
    expect(await card(tab, "Open violations and alerts").getAttribute("href")).toBe("/console/compliance");
    // The setup's API and S3 requests are this hour's traffic: the charts have bars.
    const rate = tab.locator("figure", { hasText: "Request rate" });
    expect(await rate.locator("svg[role=img] rect.bar").count()).toBe(2);
    expect(await tab.locator("figure", { hasText: "Latency" }).locator("rect.bar").count()).toBe(6);
    const ops = tab.locator("figure", { hasText: "Busiest operations" });
    const opBars = await ops.locator("rect.bar").count();
    expect(opBars).toBeGreaterThan(0);
    expect(opBars).toBeLessThanOrEqual(8);
    await screenshot(tab, "overview");
    await tab.close();
  });

  it("links the page to the API rows it caused: the overview's request id is on its API calls' audit rows", async () => {
    const tab = await browser.signIn(base, auditorToken);
    const res = await tab.reload();
    const requestId = res!.headers()["x-request-id"]!;
    expect(requestId).toMatch(/^[0-9A-F]{16}$/);
    const rows = await sql`select operation_type, principal, status_code from operations_log where request_id = ${requestId}`;
    expect(rows.map((r) => r.operation_type)).toEqual(["GetOpsDashboard"]);
    expect(rows[0]!.principal).toMatch(/\(auditor\)$/);
    expect(rows[0]!.status_code).toBe(200);
    await tab.close();
  });

  it("shows a scoped officer only its customer's work and no region-wide traffic", async () => {
    const tab = await browser.signIn(base, officerToken);
    expect(await tab.locator("#work-h").textContent()).toContain("acme-corp");
    expect(await cardCount(tab, "Pending GDPR requests")).toBe("1");
    expect(await cardCount(tab, "Overdue GDPR requests")).toBe("0");
    expect(await cardCount(tab, "Objects under legal hold")).toBe("1");
    expect(await tab.locator("svg").count()).toBe(0);
    expect(await tab.locator("section[aria-labelledby=traffic-h]").textContent()).toContain("not scoped to one customer");
    expect(await tab.content()).not.toContain("beta-oy");
    await tab.close();
  });

  it("works from the keyboard: the first Tab is the skip link, which moves focus to the content", async () => {
    const tab = await browser.signIn(base, auditorToken);
    await tab.keyboard.press("Tab");
    expect(await tab.evaluate<string>("document.activeElement.textContent")).toBe("Skip to content");
    expect(await tab.evaluate<string>("getComputedStyle(document.activeElement).left")).not.toBe("-999px");
    await tab.keyboard.press("Enter");
    expect(await tab.evaluate<string>("document.activeElement.id")).toBe("main");
    await tab.keyboard.press("Tab");
    expect(await tab.evaluate<string>("document.activeElement.getAttribute('href')")).toBe("/console/compliance");
    await tab.close();
  });

  it("fits a phone-width screen", async () => {
    const tab = await browser.signIn(base, ADMIN_TOKEN);
    await tab.setViewportSize(PHONE);
    await tab.reload();
    expect(await tab.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(PHONE.width);
    await screenshot(tab, "overview-phone");
    await tab.close();
  });
});

describe("the global endpoint's region picker", () => {
  it("lists every region of the registry with a link to its own console, and shows no customer data", async () => {
    await browser.context.clearCookies();
    const tab = await browser.newPage();
    const res = await tab.goto(`${stack.global.url}/console`);
    expect(res?.status()).toBe(200);
    expect(res!.headers()["content-security-policy"]).toContain("default-src 'none'");
    const links = tab.locator("a.region");
    expect(await links.count()).toBe(3);
    for (const id of ["FI-HEL", "DE-FRA", "US-EAST"] as const) {
      expect(await links.filter({ hasText: id }).getAttribute("href")).toBe(`${stack.regions[id].url}/console`);
    }
    expect(await tab.content()).not.toMatch(/acme-corp|beta-oy/);
    await screenshot(tab, "region-picker");
    await Promise.all([tab.waitForURL(`${base}/console/signin`), links.filter({ hasText: "FI-HEL" }).click()]);
    expect(await tab.locator("h1").textContent()).toBe("Sign in");
    await tab.close();
  });
});
