import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminAuth, mintToken } from "../../apps/regional-gateway/test/harness.ts";
import { type ConsoleBrowser, launchConsoleBrowser, screenshot } from "../support/console-browser.ts";
import { onboard, startStack, type TestStack } from "../support/stack.ts";

const MINE = "cust-console-a";
const OTHER = "cust-console-b";
let stack: TestStack;
let browser: ConsoleBrowser;
let tab: Page;
let fi: string;

const pageOf = (id: string, rest = "") => `${fi}/console/customers/${id}${rest}`;

async function submit(page: Page, name: string) {
  await Promise.all([page.waitForResponse((r) => ["POST", "GET"].includes(r.request().method()) && r.request().isNavigationRequest()), page.getByRole("button", { name }).click()]);
  await page.waitForLoadState("load");
}

async function signedIn(token: string, run: (page: Page) => Promise<void>) {
  const other = await launchConsoleBrowser();
  try {
    await run(await other.signIn(fi, token));
  } finally {
    await other.close();
  }
}

beforeAll(async () => {
  stack = await startStack();
  fi = stack.regions["FI-HEL"].url;
  await onboard(stack, MINE, "FI-HEL", { customer_name: "Console A Oy", country: "Finland", data_residency_requirement: "strict" });
  await onboard(stack, OTHER, "FI-HEL", { customer_name: "Console B Oy", country: "Finland", data_residency_requirement: "jurisdiction" });
  const s3 = (path: string, body?: string) => fetch(`${fi}/s3${path}`, { method: "PUT", headers: { "x-customer-id": MINE }, body });
  expect((await s3("/contracts")).status).toBe(200);
  expect((await s3("/contracts/2026/signed.pdf", "%PDF-1.7 signed")).status).toBe(200);
  browser = await launchConsoleBrowser();
  tab = await browser.signIn(fi, ADMIN_TOKEN);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe("customers in the browser", () => {
  it("lists the customers with paging and filters, each row opening its profile; a scoped officer's list holds its own customer only", async () => {
    const rows = () => tab.locator("table tbody tr").allInnerTexts();
    await tab.goto(`${fi}/console/customers?limit=1`);
    expect(await rows()).toEqual([expect.stringMatching(/^Console A Oy\s+cust-console-a\s+FI \(EU\)\s+strict\s+active\s+1\s+\d{4}-\d\d-\d\d$/)]);
    expect(await tab.getByRole("link", { name: "First page" }).count()).toBe(0);
    await tab.getByRole("link", { name: "Next page" }).click();
    await tab.waitForURL(/cursor=/);
    expect(await rows()).toEqual([expect.stringMatching(/^Console B Oy\s+cust-console-b\s+FI \(EU\)\s+jurisdiction\s+active\s+0/)]);
    expect(await tab.getByRole("link", { name: "Next page" }).count()).toBe(0);
    expect(tab.url()).toContain("limit=1");

    await tab.goto(`${fi}/console/customers`);
    await tab.getByLabel("Residency").selectOption("jurisdiction");
    await submit(tab, "Filter");
    expect(await rows()).toEqual([expect.stringMatching(/^Console B Oy/)]);
    await tab.getByLabel("Search").fill("CONSOLE A");
    await tab.getByLabel("Residency").selectOption("");
    await submit(tab, "Filter");
    expect(await rows()).toEqual([expect.stringMatching(/^Console A Oy/)]);
    await screenshot(tab, "customers-list");
    await tab.getByRole("link", { name: "Console A Oy" }).click();
    await tab.waitForURL(pageOf(MINE));

    await tab.goto(`${fi}/console/customers?q=${encodeURIComponent("nobody_%")}`);
    expect(await tab.locator("main").innerText()).toContain("No customer matches these filters. Clear the filters or widen the search.");
    const refused = await tab.goto(`${fi}/console/customers?country=Atlantis`);
    expect(refused?.status()).toBe(400);
    expect(await tab.locator("#f-country-error").innerText()).toBe("unknown country: Atlantis");
    expect(await tab.getByLabel("Country").inputValue()).toBe("Atlantis");

    const officer = await mintToken(fi, "officer-list", "compliance_officer", MINE);
    await signedIn(officer, async (page) => {
      await page.goto(`${fi}/console/customers`);
      expect(await page.locator("table tbody tr").allInnerTexts()).toEqual([expect.stringMatching(/^Console A Oy/)]);
      expect(await page.locator("main").innerText()).not.toContain("Console B Oy");
      expect(await page.getByLabel("Customer id").count()).toBe(0);
    });
  });

  it("lets an admin open a customer by id, refusing a malformed id next to the field", async () => {
    await tab.goto(`${fi}/console/customers`);
    expect(await tab.locator("main").innerText()).toMatch(/Know the customer's id\? Open it directly/);
    await tab.getByLabel("Customer id").fill("Not An Id!");
    await submit(tab, "Open");
    expect(await tab.locator("#f-id-error").innerText()).toMatch(/2-63 characters/);
    await tab.getByLabel("Customer id").fill(MINE);
    await submit(tab, "Open");
    expect(tab.url()).toBe(pageOf(MINE));
  });

  it("shows the profile: residency requirement, country and usage", async () => {
    await tab.goto(pageOf(MINE));
    expect(await tab.getByTestId("residency").innerText()).toMatch(/^strict: bytes stay in the home region's country/);
    expect(await tab.locator("main").innerText()).toMatch(/Country\s+FI \(legal zone EU\)/);
    expect(await tab.getByTestId("usage-buckets").innerText()).toBe("1");
    expect(await tab.getByTestId("usage-objects").innerText()).toBe("1");
    expect(await tab.getByTestId("usage-bytes").innerText()).toBe("15 B");
    await screenshot(tab, "customers");
    await tab.goto(pageOf("nobody-registered"));
    expect(await tab.getByRole("heading", { level: 1 }).innerText()).toBe("Page not found");
    expect(await tab.locator("main").innerText()).toMatch(/not registered in region FI-HEL/);
  });

  it("edits the rules: a refused value is shown next to its field with what was typed, a valid set is saved", async () => {
    await tab.goto(pageOf(MINE, "/rules"));
    await tab.getByLabel("Allowed content types").fill("application/pdf\nnot a type");
    await submit(tab, "Save rules");
    expect(await tab.locator("#f-allowed_content_types-error").innerText()).toMatch(/must be type\/subtype or type\/\*/);
    expect(await tab.locator("#f-allowed_content_types").getAttribute("aria-invalid")).toBe("true");
    expect(await tab.getByLabel("Allowed content types").inputValue()).toBe("application/pdf\nnot a type");

    await tab.getByLabel("Allowed content types").fill("application/pdf\nimage/*");
    await tab.locator("#f-anomaly_threshold_per_hour").fill("250");
    await submit(tab, "Save rules");
    await tab.getByText("Rules saved: allowed_content_types, anomaly_threshold_per_hour changed.").waitFor();
    const { rules } = (await (await fetch(`${fi}/api/customers/${MINE}/rules`, { headers: adminAuth })).json()) as { rules: Record<string, unknown> };
    expect(rules).toMatchObject({ allowed_content_types: ["application/pdf", "image/*"], anomaly_threshold_per_hour: 250 });
  });

  it("lets a scoped officer open its own customer from the list and refuses every page of another", async () => {
    const officer = await mintToken(fi, "officer-a", "compliance_officer", MINE);
    await signedIn(officer, async (page) => {
      await page.goto(`${fi}/console/customers`);
      await page.getByRole("link", { name: "Console A Oy" }).click();
      await page.waitForURL(pageOf(MINE));
      for (const rest of ["", "/rules", "/storage", "/access-keys"]) {
        const res = await page.goto(pageOf(OTHER, rest));
        expect(res?.status()).toBe(403);
        expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Not allowed");
        expect(await page.locator("main").innerText()).toContain(`this token may only access customer ${MINE}`);
        expect(await page.locator("main").innerText()).not.toContain("Console B Oy");
      }
    });
  });

  it("shows an auditor the rules without a form", async () => {
    const auditor = await mintToken(fi, "auditor-1", "auditor");
    await signedIn(auditor, async (page) => {
      await page.goto(pageOf(MINE, "/rules"));
      expect(await page.locator("main").innerText()).toMatch(/Allowed content types\s+application\/pdf, image\/\*/);
      expect(await page.getByRole("button", { name: "Save rules" }).count()).toBe(0);
    });
  });
});
