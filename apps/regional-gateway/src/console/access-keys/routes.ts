import { Hono, type Context } from "hono";
import { html } from "hono/html";
import { ACCESS_KEY_ID_RE } from "../../services/access/access-keys.ts";
import { type FormErrors, formErrors, noErrors } from "../layout/api-errors.ts";
import { notFoundPage } from "../layout/errors.ts";
import { redirectWithFlash } from "../layout/flash.ts";
import { page } from "../layout/page.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { apiCustomer, apiFailurePage, apiMessage, customerBase, customerIdOf, mayManage } from "../customers/shared.ts";
import { customerNav } from "../customers/views.ts";
import { keyTable } from "./table.ts";
import { type AccessKeyItem, CREATE_FIELDS, createBody, createdPanel, createForm, createValues, type CreateValues, deleteConfirm, EMPTY_CREATE } from "./views.ts";

type Target = { id: string; akid: string };
const keyOf = (c: Context<ConsoleEnv>): Target | undefined => {
  const id = customerIdOf(c);
  const akid = c.req.param("akid") ?? "";
  return id && ACCESS_KEY_ID_RE.test(akid) ? { id, akid } : undefined;
};
const listHref = (id: string) => `${customerBase(id)}/access-keys`;

async function listPage(c: Context<ConsoleEnv>, id: string, values: CreateValues, errors: FormErrors, status?: 400 | 403 | 409) {
  const cursor = c.req.query("cursor");
  const res = await consoleApi(c).get<{ items: AccessKeyItem[]; next_cursor: string | null }>(
    `${apiCustomer(id)}/access-keys?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
  );
  if (res.status !== 200) return apiFailurePage(c, res);
  const s = c.var.session;
  const manage = mayManage(s);
  // A re-rendered POST's paging links point at the list, not at the POST's address.
  const url = new URL(listHref(id), c.req.url).toString() + (cursor ? `?cursor=${encodeURIComponent(cursor)}` : "");
  return page(c, {
    title: `Access keys · ${id}`,
    active: "customers",
    status,
    body: html`${customerNav(customerBase(id), "access-keys")}
      ${keyTable(listHref(id), url, res.body.items, res.body.next_cursor, manage ? csrfField(c) : null)}
      ${manage ? createForm(listHref(id), csrfField(c), values, errors, s.role === "admin") : html`<p class="hint">Your role may list keys; an admin, or a compliance officer scoped to this customer, creates and changes them.</p>`}`,
  });
}

/** A customer's S3 access keys: list, create (the secret shown once, on the POST's answer), disable, enable, delete. */
export function accessKeyPages(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/:id/access-keys", async (c) => {
    const id = customerIdOf(c);
    return id ? listPage(c, id, EMPTY_CREATE, noErrors) : notFoundPage(c, "No such customer.");
  });

  r.post("/:id/access-keys", async (c) => {
    const id = customerIdOf(c);
    if (!id) return notFoundPage(c, "No such customer.");
    const values = createValues(await c.req.parseBody());
    const res = await consoleApi(c).post<AccessKeyItem & { secret_access_key: string }>(`${apiCustomer(id)}/access-keys`, createBody(values));
    if (res.status === 201) {
      return page(c, {
        title: `Access keys · ${id}`,
        active: "customers",
        status: 201,
        body: html`${customerNav(customerBase(id), "access-keys")}${createdPanel(res.body, listHref(id))}`,
      });
    }
    if (res.status === 400 || res.status === 403 || res.status === 409) return listPage(c, id, values, formErrors(res.body, CREATE_FIELDS), res.status);
    return apiFailurePage(c, res);
  });

  r.post("/:id/access-keys/:akid/status", async (c) => {
    const t = keyOf(c);
    if (!t) return notFoundPage(c, "No such access key.");
    const status = (await c.req.parseBody()).status === "active" ? "active" : "disabled";
    const res = await consoleApi(c).patch(`${apiCustomer(t.id)}/access-keys/${t.akid}`, { status });
    if (res.status === 200) return redirectWithFlash(c, listHref(t.id), `Access key ${t.akid} is ${status === "active" ? "enabled" : "disabled"}.`);
    return redirectWithFlash(c, listHref(t.id), `Access key ${t.akid} was not changed: ${apiMessage(res.body, res.status)}`, "error");
  });

  r.get("/:id/access-keys/:akid/delete", async (c) => {
    const t = keyOf(c);
    if (!t) return notFoundPage(c, "No such access key.");
    return page(c, { title: `Delete access key · ${t.id}`, active: "customers", body: deleteConfirm(listHref(t.id), t.akid, csrfField(c)) });
  });

  r.post("/:id/access-keys/:akid/delete", async (c) => {
    const t = keyOf(c);
    if (!t) return notFoundPage(c, "No such access key.");
    const res = await consoleApi(c).del(`${apiCustomer(t.id)}/access-keys/${t.akid}`);
    if (res.status === 204) return redirectWithFlash(c, listHref(t.id), `Access key ${t.akid} is deleted.`);
    return redirectWithFlash(c, listHref(t.id), `Access key ${t.akid} was not deleted: ${apiMessage(res.body, res.status)}`, "error");
  });

  return r;
}
