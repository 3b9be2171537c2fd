import { Hono } from "hono";
import { html } from "hono/html";
import { formErrors } from "../layout/api-errors.ts";
import { forbiddenPage } from "../layout/errors.ts";
import { type Html, page } from "../layout/page.ts";
import { paging } from "../layout/table.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { integrityView, type IntegrityReport } from "./integrity-view.ts";
import { jurisdictionView, type JurisdictionReport } from "./jurisdiction-view.ts";
import { canAct, type Ctx, formFields, query, queryValues, refusalPage, scopeOf } from "./kit.ts";
import { residencyView, type ResidencyReport, type ResidencyViewInput } from "./residency-view.ts";
import { complianceTabs, type ComplianceTab } from "./bits.ts";

const show = (c: Ctx, tab: ComplianceTab, title: string, body: Html, status: 200 | 400 = 200) =>
  page(c, { title, active: "compliance", status, body: html`${complianceTabs(tab, canAct(c))}${body}` });

const residency = (c: Ctx, customerId: string, extra: Partial<ResidencyViewInput> = {}) =>
  residencyView({ csrf: csrfField(c), scoped: scopeOf(c) !== null, customerId, errors: {}, ...extra });

/** UTC day bounds of the report's date inputs: `to` covers its whole day. */
const dayStart = (d: string) => (d ? `${d}T00:00:00Z` : undefined);
const dayEnd = (d: string) => (d ? `${d}T23:59:59.999Z` : undefined);

/** The errors of a refused form: by field, and "" for the rest. */
function errorsOf(body: unknown, fields: readonly string[]): Record<string, string> {
  const e = formErrors(body, fields);
  return { ...e.fields, ...(e.general ? { "": e.general } : {}) };
}

/** A 404 of the integrity check names the customer, the bucket or the object that is not there. */
const missingField = (message: string) => (/no object/.test(message) ? "key" : /bucket/.test(message) ? "bucket" : "customer_id");

async function jurisdiction(c: Ctx): Promise<Response> {
  const values = queryValues(c, ["customer_id", "from", "to"] as const);
  const res = await consoleApi(c).get<JurisdictionReport & { next_cursor: string | null }>(
    `/api/audit/jurisdiction-compliance${query({ customer_id: values.customer_id, from: dayStart(values.from), to: dayEnd(values.to), cursor: c.req.query("cursor"), limit: "25" })}`,
  );
  if (res.status !== 200 && res.status !== 400) return refusalPage(c, res);
  const ok = res.status === 200;
  const body = jurisdictionView({
    scoped: scopeOf(c) !== null,
    values,
    errors: ok ? {} : errorsOf(res.body, ["customer_id", "from", "to"]),
    report: ok ? res.body : undefined,
    paging: ok ? paging(c.req.url, res.body.next_cursor) : {},
  });
  return show(c, "jurisdiction", "Jurisdiction report", body, ok ? 200 : 400);
}

/** Residency validation, the jurisdiction report and integrity verification. */
export function complianceCheckRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/residency", (c) => show(c, "residency", "Residency validation", residency(c, "")));

  // A POST with the form token: the run marks objects and raises alerts, though the API spells it GET.
  r.post("/residency", async (c) => {
    const customerId = (await formFields(c)).customer_id ?? "";
    const res = await consoleApi(c).get<ResidencyReport>(`/api/compliance/validate/data-residency${query({ customer_id: customerId })}`);
    if (res.status === 200) return show(c, "residency", "Residency validation", residency(c, customerId, { report: res.body }));
    if (res.status !== 400 && res.status !== 404) return refusalPage(c, res);
    const e = formErrors(res.body, ["customer_id"]);
    const errors = { customer_id: e.fields.customer_id ?? (res.status === 404 ? e.general : undefined), general: res.status === 400 ? e.general : undefined };
    return show(c, "residency", "Residency validation", residency(c, customerId, { errors }), 400);
  });

  r.get("/jurisdiction", jurisdiction);

  r.get("/integrity", (c) => {
    if (!canAct(c)) return forbiddenPage(c, "Integrity verification changes object state; your role reads its results in the alerts and the audit log.");
    const scoped = scopeOf(c);
    return show(c, "integrity", "Integrity verification", integrityView({ csrf: csrfField(c), scopedCustomer: scoped, values: { customer_id: scoped ?? "", bucket: "", key: "" }, errors: {} }));
  });

  r.post("/integrity", async (c) => {
    const f = await formFields(c);
    const values = { customer_id: f.customer_id ?? "", bucket: f.bucket ?? "", key: f.key ?? "" };
    const res = await consoleApi(c).post<IntegrityReport>("/api/objects/verify", Object.fromEntries(Object.entries(values).filter(([, v]) => v !== "")));
    const input = { csrf: csrfField(c), scopedCustomer: scopeOf(c), values };
    if (res.status === 200) return show(c, "integrity", "Integrity verification", integrityView({ ...input, errors: {}, report: res.body }));
    if (res.status !== 400 && res.status !== 404) return refusalPage(c, res);
    const errors = errorsOf(res.body, ["customer_id", "bucket", "key"]);
    if (res.status === 404 && errors[""]) {
      errors[missingField(errors[""])] = errors[""];
      delete errors[""];
    }
    return show(c, "integrity", "Integrity verification", integrityView({ ...input, errors }), 400);
  });

  return r;
}
