import { isAppError } from "@s3gw/core";
import type { Context } from "hono";
import { html } from "hono/html";
import { onError } from "../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { ConsoleSignedOut } from "../session/api-client.ts";
import { clearSessionCookie } from "../session/cookies.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { endSession } from "../session/store.ts";
import { page } from "./page.ts";

const CLIENT_STATUSES = [400, 401, 409, 413, 422] as const;

const home = html`<p><a href="/console">Back to the overview</a></p>`;

export function forbiddenPage(c: Context<ConsoleEnv>, message: string, status: 403 = 403): Promise<Response> {
  return page(c, { title: "Not allowed", status, body: html`<p class="error-text">${message}</p>${home}` });
}

export function notFoundPage(c: Context<ConsoleEnv>, message = "There is no console page at this address."): Promise<Response> {
  return page(c, { title: "Page not found", status: 404, body: html`<p>${message}</p>${home}` });
}

/**
 * A page that failed. The API refusing the session's token (revoked) signs the user out; an
 * AppError raised by a page (bad input) is shown with its message; anything else is logged by
 * the shared handler and shown as a plain 500/503 page with the request id, never a stack.
 */
export async function consoleOnError(err: Error, c: Context<ConsoleEnv>): Promise<Response> {
  if (err instanceof ConsoleSignedOut) {
    const session = c.get("session");
    if (session) await endSession(c.var.deps, session.hash);
    clearSessionCookie(c);
    return c.redirect("/console/signin?ended=revoked", 303);
  }
  const json = onError(err, c as unknown as Context<AppEnv>);
  const status = json.status;
  const message = isAppError(err) ? err.message : status === 503 ? "A dependency of the region is unavailable. Please retry." : "Something went wrong on our side.";
  if (status === 403) return forbiddenPage(c, message);
  if (status === 404) return notFoundPage(c, message);
  // The client's mistakes stay 4xx (a 5xx means our fault); anything unexpected is a 500.
  const code = CLIENT_STATUSES.find((s) => s === status) ?? (status === 503 ? 503 : 500);
  const res = await page(c, {
    title: code < 500 ? "Request not accepted" : "Something went wrong",
    status: code,
    body: html`<p class="error-text">${message}</p><p class="muted">Request id <code>${c.var.requestId}</code></p>${home}`,
  });
  const retryAfter = json.headers.get("retry-after");
  if (retryAfter) res.headers.set("retry-after", retryAfter);
  return res;
}
