import { createHash } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminAuth, mintToken } from "../../apps/regional-gateway/test/harness.ts";
import { launchConsoleBrowser, postWithCookie, screenshot, type ConsoleBrowser, signOut } from "../support/console-browser.ts";
import { onboard, startStack, type TestStack } from "../support/stack.ts";

/**
 * The console's sign-in and session guarantees in Debian's chromium: what each role sees, the
 * cookie's flags, idle and absolute expiry, sign-out and revocation ending the session on the
 * server, CSRF on every state change (sign-in included), the CSP, and escaping.
 */

const XSS_NAME = `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">`;
let stack: TestStack;
let base: string;
let sql: postgres.Sql;
let browser: ConsoleBrowser;
let officerToken: string;
let auditorToken: string;

const navLabels = (tab: import("playwright-core").Page) => tab.locator("nav.nav a").allTextContents();
const cookieValue = async () => (await browser.sessionCookie(base))!.value;
const hash = (v: string) => createHash("sha256").update(v).digest("hex");


beforeAll(async () => {
  stack = await startStack();
  base = stack.regions["FI-HEL"].url;
  sql = postgres(stack.regions["FI-HEL"].databaseUrl, { max: 2, onnotice: () => {} });
  await onboard(stack, "acme-corp", "FI-HEL", { customer_name: "Acme", country: "Finland", data_residency_requirement: "strict" });
  await onboard(stack, "xss-corp", "FI-HEL", { customer_name: XSS_NAME, country: "Finland", data_residency_requirement: "strict" });
  officerToken = await mintToken(base, "officer", "compliance_officer", "acme-corp");
  auditorToken = await mintToken(base, "auditor", "auditor");
  browser = await launchConsoleBrowser();
});

afterAll(async () => {
  await browser?.close();
  await sql?.end();
  await stack?.close();
});

describe("sign-in", () => {
  it("a wrong token is refused with the error next to the token field", async () => {
    const tab = await browser.newPage();
    const res = await tab.goto(`${base}/console/signin`);
    expect(res?.status()).toBe(200);
    await screenshot(tab, "signin");
    await tab.getByLabel("API token").fill("not-a-real-token-0123456789");
    await tab.getByRole("button", { name: "Sign in" }).click();
    const field = tab.getByLabel("API token");
    await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
    const describedBy = (await field.getAttribute("aria-describedby"))!.split(" ");
    const error = tab.locator(".field-error");
    expect(describedBy).toContain(await error.getAttribute("id"));
    expect(await error.textContent()).toContain("unknown or revoked");
    expect(await browser.sessionCookie(base)).toBeUndefined();
    const [row] = await sql`select result, status_code, principal, compliance_info from operations_log where operation_type = 'ConsoleSignIn' order by id desc limit 1`;
    expect(row).toMatchObject({ result: "denied", status_code: 401, principal: null, compliance_info: {} });
    await tab.close();
  });

  it("a sign-in body over 1 MiB is refused with 413 before it is parsed, never a 5xx", async () => {
    const res = await fetch(`${base}/console/signin`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `token=${"a".repeat(2 * 1024 * 1024)}` });
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/at most 1048576 bytes/);
  });

  it("each role sees its own nav, role and scope", async () => {
    // Every role reads every section; a customer-scoped token sees no region-wide traffic.
    const all = ["Overview", "Customers", "Compliance", "GDPR", "Holds", "Audit"];
    const expected: Array<[string, string, string[], string, boolean]> = [
      [ADMIN_TOKEN, "Admin", all, "all customers", true],
      [officerToken, "Compliance officer", all, "customer acme-corp", false],
      [auditorToken, "Auditor", all, "all customers", true],
    ];
    for (const [token, role, nav, scope, traffic] of expected) {
      const tab = await browser.signIn(base, token);
      expect(await navLabels(tab)).toEqual(nav);
      expect(await tab.locator(".who .role").textContent()).toBe(role);
      expect((await tab.locator(".who .scope").textContent())!.replace(/\s+/g, " ").trim()).toBe(scope);
      expect(await tab.locator("section[aria-labelledby=traffic-h] svg").count()).toBe(traffic ? 3 : 0);
      await signOut(tab, { close: false });
      await tab.close();
    }
  });

  it("the cookie is HttpOnly, SameSite=Strict, scoped to /console, and the database holds neither it nor the token", async () => {
    const tab = await browser.signIn(base, auditorToken);
    const cookie = (await browser.sessionCookie(base))!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/console", secure: false });
    expect(await tab.evaluate<string>("document.cookie")).not.toContain("s3gw_console=");
    const rows = await sql`select session_hash, sealed_token, role from console_sessions where session_hash = ${hash(cookie.value)}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.role).toBe("auditor");
    const all = await sql`select session_hash, sealed_token from console_sessions`;
    for (const r of all) {
      expect(r.session_hash).not.toBe(cookie.value);
      expect(r.sealed_token).not.toContain(auditorToken);
    }
    await signOut(tab, { close: false });
    await tab.close();
  });

  it("the cookies are Secure when the request came over TLS (here: the trusted edge proxy says so)", async () => {
    for (const tls of [true, false]) {
      const headers: Record<string, string> = tls ? { "x-forwarded-proto": "https" } : {};
      const form = await fetch(`${base}/console/signin`, { headers });
      const signinCookie = form.headers.getSetCookie().find((c) => c.startsWith("s3gw_console_signin="))!;
      expect(/;\s*Secure/i.test(signinCookie)).toBe(tls);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const res = await fetch(`${base}/console/signin`, {
        method: "POST",
        redirect: "manual",
        headers: { ...headers, "content-type": "application/x-www-form-urlencoded", cookie: signinCookie.split(";")[0]! },
        body: new URLSearchParams({ token: auditorToken, _csrf: csrf }).toString(),
      });
      expect(res.status).toBe(303);
      const session = res.headers.getSetCookie().find((c) => c.startsWith("s3gw_console="))!;
      expect(session).toMatch(/HttpOnly/i);
      expect(session).toMatch(/SameSite=Strict/i);
      expect(/;\s*Secure/i.test(session)).toBe(tls);
      // The spent sign-in form token is cleared.
      expect(res.headers.getSetCookie().some((c) => /^s3gw_console_signin=;/.test(c))).toBe(true);
      await sql`delete from console_sessions where role = 'auditor'`;
    }
  });

  it("a sign-in form posted without its own CSRF cookie is refused (login CSRF)", async () => {
    const res = await fetch(`${base}/console/signin`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: ADMIN_TOKEN, _csrf: "forged" }).toString(),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie") ?? "").not.toContain("s3gw_console=");
  });
});

describe("session end", () => {
  it("an idle session expires, and so does one past its absolute lifetime however active", async () => {
    const config = stack.regions["FI-HEL"].deps.config;
    try {
      config.console = { idleSeconds: 1, maxSeconds: 3600 };
      const tab = await browser.signIn(base, ADMIN_TOKEN);
      const idle = await cookieValue();
      await new Promise((r) => setTimeout(r, 1600));
      await tab.goto(`${base}/console`);
      expect(new URL(tab.url()).pathname).toBe("/console/signin");
      expect(await tab.getByRole("status").textContent()).toContain("expired");
      expect(await sql`select 1 from console_sessions where session_hash = ${hash(idle)}`).toHaveLength(0);

      config.console = { idleSeconds: 3600, maxSeconds: 3 };
      await browser.signIn(base, ADMIN_TOKEN).then((t) => t.close());
      // The session was created before signIn returned: from here it is at least this old.
      const started = Date.now();
      while (Date.now() - started < 2000) {
        expect(new URL((await tab.goto(`${base}/console`))!.url()).pathname).toBe("/console");
        await new Promise((r) => setTimeout(r, 400));
      }
      await new Promise((r) => setTimeout(r, 3300 - (Date.now() - started)));
      await tab.goto(`${base}/console`);
      expect(new URL(tab.url()).pathname).toBe("/console/signin");
      await tab.close();
    } finally {
      config.console = undefined;
    }
  });

  it("sign-out deletes the session on the server: the old cookie replayed is signed out", async () => {
    const tab = await browser.signIn(base, ADMIN_TOKEN);
    const old = await cookieValue();
    await signOut(tab, { close: false });
    expect(await tab.getByRole("status").textContent()).toContain("signed out");
    const replay = await fetch(`${base}/console`, { redirect: "manual", headers: { cookie: `s3gw_console=${old}` } });
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toMatch(/^\/console\/signin/);
    expect(await sql`select 1 from console_sessions where session_hash = ${hash(old)}`).toHaveLength(0);
    const rows = await sql`select operation_type, principal from operations_log where operation_type in ('ConsoleSignIn', 'ConsoleSignOut') order by id desc limit 2`;
    expect(rows.map((r) => [r.operation_type, r.principal])).toEqual([
      ["ConsoleSignOut", "token:bootstrap-admin(admin)"],
      ["ConsoleSignIn", "token:bootstrap-admin(admin)"],
    ]);
    await tab.close();
  });

  it("signing in again in the same browser replaces the session: the earlier id is dead", async () => {
    const first = await browser.signIn(base, auditorToken);
    const earlier = await cookieValue();
    const second = await browser.signIn(base, ADMIN_TOKEN);
    const later = await cookieValue();
    expect(later).not.toBe(earlier);
    expect(await sql`select 1 from console_sessions where session_hash = ${hash(earlier)}`).toHaveLength(0);
    expect((await fetch(`${base}/console`, { redirect: "manual", headers: { cookie: `s3gw_console=${earlier}` } })).status).toBe(303);
    await signOut(second);
    await first.close();
    await second.close();
  });

  it("a sealed token moved onto another session's row does not open there: that session ends", async () => {
    const admin = await browser.signIn(base, ADMIN_TOKEN);
    const adminHash = hash(await cookieValue());
    const other = await launchConsoleBrowser();
    try {
      const auditor = await other.signIn(base, auditorToken);
      const auditorCookie = (await other.sessionCookie(base))!.value;
      // An attacker with write access to the table tries to lift the auditor's session to admin.
      await sql`update console_sessions set sealed_token = (select sealed_token from console_sessions where session_hash = ${adminHash}), role = 'admin' where session_hash = ${hash(auditorCookie)}`;
      await auditor.goto(`${base}/console`);
      expect(new URL(auditor.url()).pathname).toBe("/console/signin");
      expect(await sql`select 1 from console_sessions where session_hash = ${hash(auditorCookie)}`).toHaveLength(0);
      expect((await admin.reload())?.status()).toBe(200);
    } finally {
      await other.close();
    }
    await signOut(admin);
    await admin.close();
  });

  it("a forged or malformed cookie is no session", async () => {
    for (const value of ["x".repeat(43), "short", "a".repeat(4000), "%00%ff", ""]) {
      const res = await fetch(`${base}/console`, { redirect: "manual", headers: { cookie: `s3gw_console=${value}` } });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toMatch(/^\/console\/signin/);
    }
  });

  it("revoking the token ends its session at the next request", async () => {
    const created = await fetch(`${base}/api/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", ...adminAuth },
      body: JSON.stringify({ name: "soon revoked", role: "auditor" }),
    });
    const { token, token_id } = (await created.json()) as { token: string; token_id: string };
    const tab = await browser.signIn(base, token);
    const cookie = await cookieValue();
    expect((await fetch(`${base}/api/tokens/${token_id}`, { method: "DELETE", headers: adminAuth })).status).toBe(204);
    await tab.goto(`${base}/console`);
    expect(new URL(tab.url()).pathname).toBe("/console/signin");
    expect(await tab.getByRole("status").textContent()).toContain("revoked");
    expect(await sql`select 1 from console_sessions where session_hash = ${hash(cookie)}`).toHaveLength(0);
    await tab.close();
  });
});

describe("the /console path", () => {
  it("is the console's, not a bucket's: the name is reserved and a path-style request there is no S3", async () => {
    const put = await fetch(`${base}/s3/console`, { method: "PUT", headers: { "x-customer-id": "acme-corp" } });
    expect(put.status).toBe(400);
    expect(await put.text()).toContain("bucket name console is reserved");
    const root = await fetch(`${base}/console/some-key`, { redirect: "manual", headers: { "x-customer-id": "acme-corp" } });
    expect(root.status).toBe(303);
    expect(root.headers.get("location")).toBe("/console/signin");
  });
});

describe("CSRF, CSP and escaping", () => {
  it("a POST with the session cookie but without a valid CSRF token, or from another origin, is refused", async () => {
    const tab = await browser.signIn(base, ADMIN_TOKEN);
    const cookie = await cookieValue();
    const token = (await tab.locator("form[action='/console/signout'] input[name=_csrf]").getAttribute("value"))!;
    const none = await postWithCookie(base, "/console/signout", cookie, {});
    expect(none.status).toBe(403);
    expect(none.text).toContain("security token");
    expect((await postWithCookie(base, "/console/signout", cookie, { _csrf: `${token.slice(0, -2)}xx` })).status).toBe(403);
    expect((await postWithCookie(base, "/console/signout", cookie, { _csrf: token }, { origin: "http://evil.example" })).status).toBe(403);
    expect((await postWithCookie(base, "/console/signout", cookie, { _csrf: token }, { "sec-fetch-site": "cross-site" })).status).toBe(403);
    // None of those ended the session; the right token from the same origin does.
    expect((await tab.goto(`${base}/console`))?.status()).toBe(200);
    const ok = await postWithCookie(base, "/console/signout", cookie, { _csrf: token }, { origin: base });
    expect(ok.status).toBe(303);
    expect((await fetch(`${base}/console`, { redirect: "manual", headers: { cookie: `s3gw_console=${cookie}` } })).status).toBe(303);
    await tab.close();
  });

  it("every console answer carries the CSP and security headers; assets have their type and caching", async () => {
    const tab = await browser.signIn(base, ADMIN_TOKEN);
    const res = await tab.goto(`${base}/console`);
    const h = res!.headers();
    expect(h["content-security-policy"]).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'",
    );
    expect(h).toMatchObject({ "x-content-type-options": "nosniff", "referrer-policy": "same-origin", "cache-control": "no-store" });
    for (const path of ["/console/signin", "/console/no-such-page"]) {
      const r = await fetch(`${base}${path}`);
      expect(r.headers.get("content-security-policy")).toBe(h["content-security-policy"]);
    }
    await tab.goto(`${base}/console/`);
    expect(new URL(tab.url()).pathname).toBe("/console");
    expect((await tab.goto(`${base}/console/no-such-page`))?.status()).toBe(404);
    expect(await tab.locator("h1").textContent()).toBe("Page not found");
    const css = await fetch(`${base}/console/assets/console.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(css.headers.get("cache-control")).toBe("public, max-age=86400");
    const js = await fetch(`${base}/console/assets/console.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const again = await fetch(`${base}/console/assets/console.js`, { headers: { "if-none-match": js.headers.get("etag")! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${base}/console/assets/..%2Fapp.ts`)).status).toBe(404);
    await tab.close();
  });

  it("an inline script slipped into a page does not run (the CSP refuses it)", async () => {
    const tab = await browser.signIn(base, ADMIN_TOKEN);
    const violations: string[] = [];
    tab.on("console", (m) => violations.push(m.text()));
    // Stand-in for an escaping bug: the real answer, its headers kept, with an inline script added.
    await tab.route(`${base}/console`, async (route) => {
      const real = await route.fetch();
      const body = (await real.text()).replace("</main>", `<script>window.__inline = 1</script><div style="display:none" id="styled">x</div></main>`);
      await route.fulfill({ response: real, body });
    });
    await tab.goto(`${base}/console`);
    expect(await tab.evaluate("window.__inline")).toBeUndefined();
    expect(await tab.locator("#styled").isVisible()).toBe(true);
    expect(violations.join("\n")).toMatch(/Content Security Policy/);
    await tab.unroute(`${base}/console`);
    await tab.close();
  });

  it("a customer name made of markup renders as text", async () => {
    const tab = await browser.signIn(base, ADMIN_TOKEN);
    const res = await tab.goto(`${base}/console/customers/xss-corp`);
    expect(res?.status()).toBe(200);
    expect(await tab.locator("h1").textContent()).toContain(XSS_NAME);
    expect(await tab.title()).toContain("<script>");
    expect(await tab.evaluate("window.__xss")).toBeUndefined();
    expect(await tab.locator("main script, main img").count()).toBe(0);
    await signOut(tab, { close: false });
    await tab.close();
  });
});
