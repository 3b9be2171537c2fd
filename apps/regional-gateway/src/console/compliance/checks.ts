import { Hono } from "hono";
import { html } from "hono/html";
import { formErrors } from "../layout/api-errors.ts";
import { forbiddenPage } from "../layout/errors.ts";
import { page } from "../layout/page.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { integrityView, type IntegrityReport } from "./integrity-view.ts";
import { jurisdictionView, type JurisdictionViewInput } from "./jurisdiction-view.ts";
import { canAct, type Ctx, formFields, query, queryValues, refusalPage, scopeOf } from "./kit.ts";
import { residencyView, type ResidencyReport, type ResidencyViewInput } from "./residency-view.ts";
import { complianceTabs, type ComplianceTab } from "./tabs.ts";

const show = (c: Ctx, tab: ComplianceTab, title: string, body: ReturnType<typeof html>, status: 200 | 400 = 200) =>
  page(c, { title, active: "compliance", status, body: html`${complianceTabs(tab, canAct(c))}${body}` });

function residencyInput(c: Ctx, customerId: string, extra: Partial<ResidencyViewInput> = {}): ResidencyViewInput {
  return { csrf: csrfField(c), scoped: scopeOf(c) !== null, customerId, ...extra };
}

/** UTC day bounds of the report's date inputs: `to` covers its whole day. */
const dayStart = (d: string) => (d ? `${d}T00:00:00Z` : undefined);
const dayEnd = (d: string) => (d ? `${d}T23:59:59.999Z` : undefined);

async function jurisdiction(c: Ctx): Promise<Response> {
  const v = queryValues(c, ["customer_id", "from", "to", "cursor"] as const);
  const values = { customer_id: v.customer_id, from: v.from, to: v.to };
  const input: JurisdictionViewInput = { scoped: scopeOf(c) !== null, values, errors: {}, nextHref: null };
  const res = await consoleApi(c).get(`/api/audit/jurisdiction-compliance${query({ customer_id: v.customer_id, from: dayStart(v.from), to: dayEnd(v.to), cursor: v.cursor, limit: "25" })}`);
  if (res.status === 400) {
    const e = formErrors(res.body, ["customer_id", "from", "to"]);
    return show(c, "jurisdiction", "Jurisdiction report", jurisdictionView({ ...input, errors: { ...e.fields, ...(e.general ? { "": e.general } : {}) } }), 400);
  }
  if (res.status !== 200) return refusalPage(c, res);
  input.report = res.body;
  if (res.body.next_cursor) input.nextHref = `/console/compliance/jurisdiction${query({ ...values, cursor: res.body.next_cursor })}`;
  return show(c, "jurisdiction", "Jurisdiction report", jurisdictionView(input));
}

/** Residency validation, the jurisdiction report and integrity verification. */
export function complianceCheckRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/residency", (c) => show(c, "residency", "Residency validation", residencyView(residencyInput(c, ""))));

  // A POST (with the form token): the run marks objects and raises alerts, though the API spells it GET.
  r.post("/residency", async (c) => {
    const customerId = (await formFields(c)).customer_id ?? "";
    const res = await consoleApi(c).get<ResidencyReport>(`/api/compliance/validate/data-residency${query({ customer_id: customerId })}`);
    if (res.status === 200) return show(c, "residency", "Residency validation", residencyView(residencyInput(c, customerId, { report: res.body })));
    if (res.status === 400 || res.status === 404) {
      const e = formErrors(res.body, ["customer_id"]);
      const error = e.fields.customer_id ? { field: "customer_id", message: e.fields.customer_id } : { field: res.status === 404 ? "customer_id" : null, message: e.general ?? "" };
      return show(c, "residency", "Residency validation", residencyView(residencyInput(c, customerId, { error })), 400);
    }
    return refusalPage(c, res);
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
    const body = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));
    const res = await consoleApi(c).post<IntegrityReport>("/api/objects/verify", body);
    const input = { csrf: csrfField(c), scopedCustomer: scopeOf(c), values, errors: {} as Record<string, string> };
    if (res.status === 200) return show(c, "integrity", "Integrity verification", integrityView({ ...input, report: res.body }));
    if (res.status === 400 || res.status === 404) {
      const e = formErrors(res.body, ["customer_id", "bucket", "key"]);
      // A 404 names what is missing: the customer, the bucket or the object.
      const notFound = res.status === 404 && e.general ? { [/no object/.test(e.general) ? "key" : /bucket/.test(e.general) ? "bucket" : "customer_id"]: e.general } : {};
      const errors = { ...e.fields, ...(res.status === 400 && e.general ? { "": e.general } : notFound) };
      return show(c, "integrity", "Integrity verification", integrityView({ ...input, errors }), 400);
    }
    return refusalPage(c, res);
  });

  return r;
}
