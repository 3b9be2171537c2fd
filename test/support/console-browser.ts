import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import postgres from "postgres";
import { onboard, startStack } from "./stack.ts";

/** Debian's chromium (installed by .ci/run); never a downloaded browser. */
export const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "console");

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface ConsoleBrowser {
  context: BrowserContext;
  /** A new tab at 1280x800. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** Signs in on `baseUrl`'s console with `token` in a new tab; answers the tab on the overview. */
  signIn(baseUrl: string, token: string): Promise<Page>;
  /** The session cookie of the console at `baseUrl`, as the browser holds it. */
  sessionCookie(baseUrl: string): Promise<{ name: string; value: string; httpOnly: boolean; sameSite: string; secure: boolean; path: string } | undefined>;
  close(): Promise<void>;
}

/**
 * A fresh headless chromium (its own user-data-dir, so no cookie survives between files).
 * Each test file launches one and closes it in afterAll. For two users at once, launch two.
 */
export async function launchConsoleBrowser(): Promise<ConsoleBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), "s3gw-console-browser-"));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: ARGS, viewport: DESKTOP, headless: true });
  const newPage = async (viewport = DESKTOP) => {
    const tab = await context.newPage();
    await tab.setViewportSize(viewport);
    return tab;
  };
  return {
    context,
    newPage,
    async signIn(baseUrl, token) {
      const tab = await newPage();
      await tab.goto(`${baseUrl}/console/signin`);
      await tab.getByLabel("API token").fill(token);
      await Promise.all([tab.waitForURL(`${baseUrl}/console`), tab.getByRole("button", { name: "Sign in" }).click()]);
      return tab;
    },
    async sessionCookie(baseUrl) {
      const cookies = await context.cookies(`${baseUrl}/console`);
      return cookies.find((c) => c.name === "s3gw_console");
    },
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Saves the tab as docs/console/<name>.png (the README's screenshots), full page. */
export async function screenshot(tab: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await tab.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Sends a console form the way a forged page would: with the session cookie the browser holds
 * but without (or with a wrong) CSRF token. Answers the status and page text.
 */
export async function postWithCookie(baseUrl: string, path: string, cookie: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: `s3gw_console=${cookie}`, "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Signs out through the page's own button and waits for the sign-in page; `close` also closes the tab. */
export async function signOut(tab: Page, opts: { close?: boolean } = {}): Promise<void> {
  await Promise.all([tab.waitForURL(/\/console\/signin/), tab.getByRole("button", { name: "Sign out" }).click()]);
  if (opts.close ?? true) await tab.close();
}

/**
 * The stack every console test starts: the whole topology with the given customers onboarded
 * in FI-HEL, and a SQL client on FI-HEL's database for checks. `close` ends both.
 */
export async function startConsoleRegion(customers: Record<string, Record<string, unknown>>) {
  const stack = await startStack();
  const region = stack.regions["FI-HEL"];
  const sql = postgres(region.databaseUrl, { max: 2, onnotice: () => {} });
  for (const [id, profile] of Object.entries(customers)) await onboard(stack, id, "FI-HEL", profile);
  return { stack, base: region.url, sql, close: async () => { await sql.end(); await stack.close(); } };
}

