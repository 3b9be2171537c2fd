import { createHmac, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { html } from "hono/html";
import type { ConsoleEnv } from "./env.ts";

export const CSRF_FIELD = "_csrf";

/** The session's form token: an HMAC under its random CSRF secret, so it cannot be guessed from the cookie. */
export function csrfToken(c: Context<ConsoleEnv>): string {
  const s = c.var.session;
  return createHmac("sha256", s.csrfSecret).update(`console-form:${s.hash}`).digest("base64url");
}

/** The hidden field every console POST form must carry. */
export function csrfField(c: Context<ConsoleEnv>) {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken(c)}">`;
}

export function sameToken(a: string | undefined, b: string): boolean {
  if (typeof a !== "string") return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A state-changing request must come from one of our own pages: a browser that says where it
 * comes from (Sec-Fetch-Site, Origin) must say "here". The form token is checked separately.
 */
export function sameOrigin(c: Context<ConsoleEnv>): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin") return false;
  const origin = c.req.header("origin");
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === c.req.header("host");
  } catch {
    return false;
  }
}

/** The form's token, from a urlencoded or multipart body (Hono caches the parsed body for the handler). */
export async function submittedToken(c: Context<ConsoleEnv>): Promise<string | undefined> {
  const header = c.req.header("x-csrf-token");
  if (header !== undefined) return header;
  const type = c.req.header("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return undefined;
  const body = await c.req.parseBody().catch(() => undefined);
  const value = body?.[CSRF_FIELD];
  return typeof value === "string" ? value : undefined;
}
