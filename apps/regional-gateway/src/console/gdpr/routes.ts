import { Hono } from "hono";
import { formErrors } from "../layout/api-errors.ts";
import { redirectWithFlash } from "../layout/flash.ts";
import { page } from "../layout/page.ts";
import { paging } from "../layout/table.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { canAct, type Ctx, formFields, query, queryValues, refusalPage, scopeOf } from "../compliance/kit.ts";
import { detailPage, gdprActionRoutes } from "./actions.ts";
import { dsrListView, type DsrItem, type DsrListViewInput } from "./list-view.ts";

const CREATE_FIELDS = ["customer_id", "data_subject_id", "request_type", "notes"] as const;
const FILTERS = ["customer_id", "status", "overdue"] as const;

async function listPage(c: Ctx, create?: DsrListViewInput["create"]): Promise<Response> {
  const filters = queryValues(c, FILTERS);
  const res = await consoleApi(c).get<{ items: DsrItem[]; next_cursor: string | null }>(`/api/gdpr/requests${query({ ...filters, cursor: c.req.query("cursor"), limit: "25" })}`);
  if (res.status !== 200 && res.status !== 400) return refusalPage(c, res);
  const ok = res.status === 200;
  const body = dsrListView({
    items: ok ? res.body.items : [],
    filters,
    filterErrors: ok ? {} : formErrors(res.body, [...FILTERS]).fields,
    paging: ok ? paging(c.req.url, res.body.next_cursor) : {},
    canCreate: canAct(c),
    scopedCustomer: scopeOf(c),
    csrf: csrfField(c),
    create,
  });
  return page(c, { title: "GDPR requests", active: "gdpr", status: create || !ok ? 400 : 200, body });
}

/** GDPR data-subject requests: list and create here; execute, track and export in actions.ts. */
export function gdprConsoleRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/", (c) => listPage(c));

  r.post("/", async (c) => {
    const f = await formFields(c);
    const body: Record<string, string> = {};
    for (const k of CREATE_FIELDS) if (f[k]) body[k] = f[k];
    const res = await consoleApi(c).post<DsrItem>("/api/gdpr/requests", body);
    if (res.status === 201) {
      return redirectWithFlash(c, `/console/gdpr/${res.body.request_id}`, `The ${res.body.request_type} request is recorded; respond by ${res.body.response_deadline.slice(0, 10)}.`);
    }
    if (res.status !== 400 && res.status !== 404) return refusalPage(c, res);
    const e = formErrors(res.body, CREATE_FIELDS);
    const errors: Record<string, string> = { ...e.fields };
    // An unregistered customer is a 404 that belongs next to the customer field.
    if (e.general) errors[res.status === 404 && !scopeOf(c) ? "customer_id" : ""] = e.general;
    return listPage(c, { values: f, errors });
  });

  r.get("/:id", (c) => detailPage(c, c.req.param("id")));

  r.route("/", gdprActionRoutes());
  return r;
}
