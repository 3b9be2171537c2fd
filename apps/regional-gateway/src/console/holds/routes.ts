import { Hono } from "hono";
import { formErrors } from "../layout/api-errors.ts";
import { page } from "../layout/page.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { apiMessage, canAct, type Ctx, flashRedirect, formFields, query, queryValues, refusalPage, scopeOf } from "../compliance/kit.ts";
import { type HoldItem, holdsView, type HoldsViewInput } from "./view.ts";

const HOLD_FIELDS = ["customer_id", "bucket", "key", "reason"] as const;

async function holdsPage(c: Ctx, refused: Pick<HoldsViewInput, "place" | "lift"> = {}): Promise<Response> {
  const f = queryValues(c, ["customer_id", "bucket", "cursor"] as const);
  const filters = { customer_id: f.customer_id, bucket: f.bucket };
  const res = await consoleApi(c).get<{ items: HoldItem[]; next_cursor: string | null }>(`/api/holds${query({ ...filters, cursor: f.cursor, limit: "25" })}`);
  if (res.status !== 200 && res.status !== 400) return refusalPage(c, res);
  const ok = res.status === 200;
  const input: HoldsViewInput = {
    items: ok ? res.body.items : [],
    filters,
    nextHref: ok && res.body.next_cursor ? `/console/holds${query({ ...filters, cursor: res.body.next_cursor })}` : null,
    canAct: canAct(c),
    scopedCustomer: scopeOf(c),
    csrf: csrfField(c),
    filterError: ok ? undefined : apiMessage(res),
    ...refused,
  };
  return page(c, { title: "Legal holds", active: "holds", status: ok && !refused.place && !refused.lift ? 200 : 400, body: holdsView(input) });
}

/** The API's hold body from a form: exactly its four fields. */
function holdBody(f: Record<string, string>) {
  const body: Record<string, string> = {};
  for (const k of HOLD_FIELDS) if (f[k] !== undefined && f[k] !== "") body[k] = f[k];
  return body;
}

/** Legal holds: the held and retained objects, placing a hold and lifting one, each with a reason. */
export function holdConsoleRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/", (c) => holdsPage(c));

  r.post("/place", async (c) => {
    const f = await formFields(c);
    const res = await consoleApi(c).put<HoldItem>("/api/holds", holdBody(f));
    if (res.status === 200) return flashRedirect(c, "/console/holds", "ok", `Legal hold placed on ${res.body.bucket}/${res.body.key}.`);
    if (res.status === 400 || res.status === 404) {
      const e = formErrors(res.body, HOLD_FIELDS);
      const errors: Record<string, string> = { ...e.fields };
      if (e.general) {
        // The API's 404s name the customer, the bucket or the object that is not there.
        const field = res.status !== 404 ? "" : /no object/.test(e.general) ? "key" : /bucket/.test(e.general) ? "bucket" : scopeOf(c) ? "" : "customer_id";
        errors[field] = e.general;
      }
      return holdsPage(c, { place: { values: f, errors } });
    }
    return refusalPage(c, res);
  });

  r.post("/lift", async (c) => {
    const f = await formFields(c);
    const res = await consoleApi(c).del<HoldItem>("/api/holds", holdBody(f));
    if (res.status === 200) return flashRedirect(c, "/console/holds", "ok", `Legal hold lifted from ${res.body.bucket}/${res.body.key}.`);
    if (res.status === 409) return flashRedirect(c, "/console/holds", "error", apiMessage(res));
    if (res.status === 400 || res.status === 404) {
      const e = formErrors(res.body, HOLD_FIELDS);
      const message = e.fields.reason ?? Object.values(e.fields).concat(e.general ?? []).join("; ");
      return holdsPage(c, { lift: { objectId: f.object_id ?? "", reason: f.reason ?? "", message } });
    }
    return refusalPage(c, res);
  });

  return r;
}
