import { createMiddleware } from "hono/factory";
import { getCookie } from "hono/cookie";
import { authenticateToken } from "../../services/access/tokens.ts";
import { forbiddenPage } from "../layout/errors.ts";
import { clearSessionCookie } from "./cookies.ts";
import { sameOrigin, sameToken, csrfToken, submittedToken } from "./csrf.ts";
import type { AppFetch, ConsoleEnv } from "./env.ts";
import { endSession, loadSession } from "./store.ts";
import { SESSION_COOKIE } from "./settings.ts";

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

/** Every console answer, pages, errors and assets alike. Assets set their own caching. */
export function consoleHeaders(appFetch: AppFetch, assetVersion: string) {
  return createMiddleware<ConsoleEnv>(async (c, next) => {
    c.set("appFetch", appFetch);
    c.set("assetVersion", assetVersion);
    await next();
    const h = c.res.headers;
    h.set("content-security-policy", CONTENT_SECURITY_POLICY);
    h.set("x-content-type-options", "nosniff");
    h.set("referrer-policy", "same-origin");
    h.set("x-frame-options", "DENY");
    h.set("cross-origin-opener-policy", "same-origin");
    if (!h.has("cache-control")) h.set("cache-control", "no-store");
  });
}

/**
 * Pages behind sign-in. No live session: to the sign-in page (GET) or 403 (anything else). A
 * session whose token was revoked ends here, before any page runs (the API would refuse it too).
 */
export const requireSession = createMiddleware<ConsoleEnv>(async (c, next) => {
  const { deps } = c.var;
  const id = getCookie(c, SESSION_COOKIE);
  const session = id === undefined ? undefined : await loadSession(deps, id);
  if (session && !(await authenticateToken(deps.db, deps.config.adminToken, session.token))) {
    await endSession(deps, session.hash);
    clearSessionCookie(c);
    return c.redirect("/console/signin?ended=revoked", 303);
  }
  if (!session) {
    if (id !== undefined) clearSessionCookie(c);
    if (c.req.method === "GET" || c.req.method === "HEAD") {
      return c.redirect(`/console/signin${id === undefined ? "" : "?ended=expired"}`, 303);
    }
    return forbiddenPage(c, "Your session has ended. Sign in again and repeat the action.", 403);
  }
  c.set("session", session);
  await next();
});

/** State-changing console requests need the session's form token and a same-origin browser. */
export const csrfGuard = createMiddleware<ConsoleEnv>(async (c, next) => {
  if (c.req.method === "GET" || c.req.method === "HEAD") return next();
  if (!sameOrigin(c) || !sameToken(await submittedToken(c), csrfToken(c))) {
    return forbiddenPage(c, "This form could not be accepted (its security token is missing or stale). Reload the page and try again.", 403);
  }
  await next();
});
