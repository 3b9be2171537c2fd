import { COMPLIANCE_ROLES } from "@s3gw/core";
import type { Context } from "hono";
import { forbiddenPage, notFoundPage } from "../layout/errors.ts";
import type { ApiResult } from "../session/api-client.ts";
import { CSRF_FIELD } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";

/**
 * Small helpers the compliance, GDPR, holds and audit pages share: reading a form, building
 * links with their filters, and the API's refusals as pages.
 */

export type Ctx = Context<ConsoleEnv>;

/** The signed-in role may act (resolve, execute, place/lift holds, verify); auditors only read. */
export const canAct = (c: Ctx) => COMPLIANCE_ROLES.includes(c.var.session.role);

/** The customer a scoped session is limited to, or null for a region-wide one. */
export const scopeOf = (c: Ctx) => c.var.session.customerId;

/** A submitted form's text fields (trimmed), without the CSRF token. */
export async function formFields(c: Ctx): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (k !== CSRF_FIELD && typeof v === "string") out[k] = v.trim();
  return out;
}

/** A query string of the non-empty values (with its `?`), or "" when there are none. */
export function query(params: Record<string, string | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The values of `names` in the page's query string ("" when absent). */
export function queryValues<K extends string>(c: Ctx, names: readonly K[]): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const n of names) out[n] = (c.req.query(n) ?? "").trim();
  return out;
}

/** The API's message of a refusal. */
export function apiMessage(res: ApiResult): string {
  const m = (res.body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof m === "string" ? m : `the API answered ${res.status}`;
}

/**
 * A refusal no form field owns: 403 and 404 as console pages with the API's message; anything
 * else the API got wrong is our fault, raised for the console's 500 page.
 */
export function refusalPage(c: Ctx, res: ApiResult): Promise<Response> {
  if (res.status === 403) return forbiddenPage(c, apiMessage(res));
  if (res.status === 404) return notFoundPage(c, apiMessage(res));
  throw new Error(`API ${res.status}: ${apiMessage(res)}`);
}

/** `YYYY-MM-DDTHH:MM[:SS]` from a datetime-local input, read as UTC, to the API's ISO form. */
export function utcFromLocalInput(v: string): string | undefined {
  if (v === "") return undefined;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? `${v}:00Z` : `${v}Z`;
}
