import { randomBytes } from "node:crypto";
import { apiError, describePrincipal } from "@s3gw/core";
import { Hono, type Context } from "hono";
import { getCookie } from "hono/cookie";
import { html } from "hono/html";
import { authenticateToken } from "../../services/access/tokens.ts";
import { forbiddenPage } from "../layout/errors.ts";
import { input, submit } from "../layout/forms.ts";
import { page } from "../layout/page.ts";
import { inProcessBindings } from "./api-client.ts";
import { clearSessionCookie, setConsoleCookie } from "./cookies.ts";
import { csrfGuard, requireSession } from "./middleware.ts";
import { sameOrigin, sameToken } from "./csrf.ts";
import type { ConsoleEnv } from "./env.ts";
import { auditConsoleEvent } from "./audit.ts";
import { createSession, endSession, sessionHash } from "./store.ts";
import { SESSION_COOKIE, SIGNIN_COOKIE } from "./settings.ts";

const ENDED: Record<string, string> = {
  expired: "Your session expired. Sign in again.",
  revoked: "Your token was revoked, so your session ended. Sign in with a valid token.",
  signedout: "You are signed out.",
};

/** Sign-in (a bearer token, checked by the API itself) and sign-out. */
export function sessionRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();
  r.get("/signin", (c) => signinPage(c, { notice: ENDED[c.req.query("ended") ?? ""] }));

  r.post("/signin", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    // Login CSRF: the form's token must match the cookie set with the form (SameSite=Strict).
    const expected = getCookie(c, SIGNIN_COOKIE);
    if (!sameOrigin(c) || expected === undefined || !sameToken(form._csrf as string | undefined, expected)) {
      return forbiddenPage(c, "This sign-in form could not be accepted (its security token is missing or stale). Reload the page and sign in again.");
    }
    const token = typeof form.token === "string" ? form.token.trim() : "";
    if (token === "") return signinPage(c, { error: "Enter your API token.", status: 400 });
    if (token.length > 512 || !/^[\x21-\x7e]+$/.test(token)) return signinPage(c, { error: "This is not a valid API token.", status: 400 });
    // The API decides: a token it refuses does not sign in (the attempt is in its audit log).
    const probe = await c.var.appFetch(
      new Request(new URL("/api/compliance/alerts?limit=1", c.req.url), { headers: { authorization: `Bearer ${token}`, accept: "application/json", "x-request-id": c.var.requestId } }),
      inProcessBindings(c, "/api/compliance/alerts?limit=1"),
    );
    await probe.body?.cancel();
    // The region cannot say (its database is down): that is no verdict on the token.
    if (probe.status >= 500) throw apiError.unavailable("The region cannot check tokens right now. Please retry in a moment.");
    const principal = probe.status === 200 ? await authenticateToken(c.var.deps.db, c.var.deps.config.adminToken, token) : undefined;
    if (!principal) {
      await auditConsoleEvent(c, { operation: "ConsoleSignIn", status: 401, principal: null, customerId: null, errorCode: "UNAUTHORIZED" });
      return signinPage(c, { error: "This token is unknown or revoked. Check it and try again.", status: 401 });
    }
    // A new sign-in in the same browser replaces its session (a fresh id: no fixation).
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous !== undefined) await endSession(c.var.deps, sessionHash(previous));
    const id = await createSession(c.var.deps, principal, token);
    await auditConsoleEvent(c, { operation: "ConsoleSignIn", status: 200, principal: describePrincipal(principal), customerId: principal.customerId });
    setConsoleCookie(c, SESSION_COOKIE, id);
    // Its sign-in form token is spent.
    clearSessionCookie(c, SIGNIN_COOKIE);
    return c.redirect("/console", 303);
  });

  r.post("/signout", requireSession, csrfGuard, async (c) => {
    const { session } = c.var;
    await endSession(c.var.deps, session.hash);
    await auditConsoleEvent(c, { operation: "ConsoleSignOut", status: 200, principal: describePrincipal({ kind: "token", tokenId: session.tokenId, name: "", role: session.role, customerId: session.customerId }), customerId: session.customerId });
    clearSessionCookie(c);
    return c.redirect("/console/signin?ended=signedout", 303);
  });
  return r;
}

async function signinPage(c: Context<ConsoleEnv>, opts: { error?: string | undefined; notice?: string | undefined; status?: 400 | 401 }): Promise<Response> {
  const csrf = randomBytes(24).toString("base64url");
  setConsoleCookie(c, SIGNIN_COOKIE, csrf, 3600);
  return page(c, {
    title: "Sign in",
    status: opts.status,
    body: html`${opts.notice ? html`<div class="flash flash-ok" role="status">${opts.notice}</div>` : ""}
<form method="post" action="/console/signin" class="card signin">
<input type="hidden" name="_csrf" value="${csrf}">
${input({ name: "token", label: "API token", type: "password", autocomplete: "off", required: true, error: opts.error, hint: "A management token of this region (admin, compliance officer or auditor). Your role and customer scope come from it." })}
${submit("Sign in")}
</form>`,
  });
}
