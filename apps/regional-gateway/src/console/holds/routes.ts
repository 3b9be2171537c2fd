import { Hono } from "hono";
import { formErrors } from "../layout/api-errors.ts";
import { redirectWithFlash } from "../layout/flash.ts";
import { page } from "../layout/page.ts";
import { paging } from "../layout/table.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { apiMessage, canAct, type Ctx, formFields, query, queryValues, refusalPage, scopeOf } from "../compliance/kit.ts";
import { type HoldItem, holdsView, type HoldsViewInput } from "./view.ts";

const HOLD_FIELDS = ["customer_id", "bucket", "key", "version_id", "reason"] as const;

async function holdsPage(c: Ctx, refused: Pick<HoldsViewInput, "place" | "lift"> = {}): Promise<Response> {
  const filters = queryValues(c, ["customer_id", "bucket"] as const);
  const res = await consoleApi(c).get<{ items: HoldItem[]; next_cursor: string | null }>(`/api/holds${query({ ...filters, cursor: c.req.query("cursor"), limit: "25" })}`);
  if (res.status !== 200 && res.status !== 400) return refusalPage(c, res);
  const ok = res.status === 200;
  const e = ok ? undefined : formErrors(res.body, ["customer_id", "bucket"]);
  const body = holdsView({
    items: ok ? res.body.items : [],
    filters,
    filterErrors: e ? { ...e.fields, ...(e.general ? { "": e.general } : {}) } : {},
    paging: ok ? paging(c.req.url, res.body.next_cursor) : {},
    canAct: canAct(c),
    scopedCustomer: scopeOf(c),
    csrf: csrfField(c),
    ...refused,
  });
  return page(c, { title: "Legal holds", active: "holds", status: ok && !refused.place && !refused.lift ? 200 : 400, body });
}

/** The API's hold body from a form: exactly its fields, the empty ones left out (no version id: the current version). */
function holdBody(f: Record<string, string>) {
  const body: Record<string, string> = {};
  for (const k of HOLD_FIELDS) if (f[k]) body[k] = f[k];
  return body;
}

/** After a change, the list narrowed to the object's bucket, so the change is in view. */
const listOf = (h: HoldItem) => `/console/holds${query({ customer_id: h.customer_id, bucket: h.bucket })}`;

/** The API's 404s name the customer, the bucket or the object that is not there. */
const missingField = (message: string, scoped: boolean) => (/^no version/.test(message) ? "version_id" : /no object|no longer exists/.test(message) ? "key" : /bucket/.test(message) ? "bucket" : scoped ? "" : "customer_id");

/** Legal holds: the held and retained objects, placing a hold and lifting one, each with a reason. */
export function holdConsoleRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/", (c) => holdsPage(c));

  r.post("/place", async (c) => {
    const f = await formFields(c);
    const res = await consoleApi(c).put<HoldItem>("/api/holds", holdBody(f));
    if (res.status === 200) return redirectWithFlash(c, listOf(res.body), `Legal hold placed on ${res.body.bucket}/${res.body.key} (version ${res.body.version_id}).`);
    if (res.status !== 400 && res.status !== 404) return refusalPage(c, res);
    const e = formErrors(res.body, HOLD_FIELDS);
    const errors: Record<string, string> = { ...e.fields };
    if (e.general) errors[res.status === 404 ? missingField(e.general, scopeOf(c) !== null) : ""] = e.general;
    return holdsPage(c, { place: { values: f, errors } });
  });

  r.post("/lift", async (c) => {
    const f = await formFields(c);
    const res = await consoleApi(c).del<HoldItem>("/api/holds", holdBody(f));
    if (res.status === 200) return redirectWithFlash(c, listOf(res.body), `Legal hold lifted from ${res.body.bucket}/${res.body.key} (version ${res.body.version_id}).`);
    if (res.status === 409 || res.status === 404) return redirectWithFlash(c, "/console/holds", apiMessage(res), "error");
    if (res.status !== 400) return refusalPage(c, res);
    const e = formErrors(res.body, HOLD_FIELDS);
    const message = e.fields.reason ?? Object.values(e.fields).concat(e.general ?? []).join("; ");
    return holdsPage(c, { lift: { objectId: f.object_id ?? "", reason: f.reason ?? "", message } });
  });

  return r;
}
