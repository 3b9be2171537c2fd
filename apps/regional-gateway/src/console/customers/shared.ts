import { CUSTOMER_ID_RE } from "@s3gw/core";
import type { Context } from "hono";
import { html } from "hono/html";
import { forbiddenPage, notFoundPage } from "../layout/errors.ts";
import { page } from "../layout/page.ts";
import type { ConsoleEnv, ConsoleSession } from "../session/env.ts";

/** The customer id of a page's path, or undefined when it cannot be one (the page answers 404). */
export function customerIdOf(c: Context<ConsoleEnv>): string | undefined {
  const id = c.req.param("id") ?? "";
  return CUSTOMER_ID_RE.test(id) ? id : undefined;
}

export const customerBase = (id: string) => `/console/customers/${encodeURIComponent(id)}`;
export const apiCustomer = (id: string) => `/api/customers/${encodeURIComponent(id)}`;

/** Who may change a customer's storage and keys, as the API decides: an admin, or an officer scoped to the customer. */
export const mayManage = (s: ConsoleSession): boolean => s.role === "admin" || (s.role === "compliance_officer" && s.customerId !== null);

/** The API's error message (`{ error: { code, message } }`), or a generic one for anything else. */
export function apiMessage(body: unknown, status: number): string {
  const e = (body as { error?: { message?: unknown } } | null)?.error;
  return typeof e?.message === "string" ? e.message : `the API answered ${status}`;
}

/** A page the API refused to fill: its 403 and 404 as the console's, anything else with its message. */
export function apiFailurePage(c: Context<ConsoleEnv>, res: { status: number; body: unknown }): Promise<Response> {
  const message = apiMessage(res.body, res.status);
  if (res.status === 403) return forbiddenPage(c, message);
  if (res.status === 404) return notFoundPage(c, message);
  const status = res.status === 400 || res.status === 409 || res.status === 503 ? res.status : 500;
  return page(c, { title: "Request not accepted", status, body: html`<p class="error-text">${message}</p><p><a href="/console/customers">Back to customers</a></p>` });
}
