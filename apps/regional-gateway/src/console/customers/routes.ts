import { CUSTOMER_ID_RE } from "@s3gw/core";
import { Hono } from "hono";
import { html } from "hono/html";
import { formErrors, noErrors, type FormErrors } from "../layout/api-errors.ts";
import { notFoundPage } from "../layout/errors.ts";
import { redirectWithFlash } from "../layout/flash.ts";
import { page } from "../layout/page.ts";
import { paging } from "../layout/table.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { Context } from "hono";
import type { ConsoleEnv } from "../session/env.ts";
import { RULE_FIELDS, rulesBody, rulesFacts, rulesForm, type RulesValues, type RulesView, valuesFromForm, valuesFromRules } from "./rules-form.ts";
import { apiCustomer, apiFailurePage, customerBase, customerIdOf } from "./shared.ts";
import { type CustomerInfo, customerNav, openForm, profile } from "./views.ts";
import { type CustomerFilters, type CustomerListItem, customerListView, FILTER_FIELDS } from "./list-view.ts";

const PAGE_SIZE = 25;

async function rulesPage(c: Context<ConsoleEnv>, id: string, values: RulesValues | undefined, errors: FormErrors, status?: 400 | 409) {
  const res = await consoleApi(c).get<{ rules: RulesView }>(`${apiCustomer(id)}/rules`);
  if (res.status !== 200) return apiFailurePage(c, res);
  const editable = c.var.session.role !== "auditor";
  return page(c, {
    title: `Rules · ${id}`,
    active: "customers",
    status,
    body: html`${customerNav(customerBase(id), "rules")}
      <section class="card" aria-labelledby="rules-title"><h2 id="rules-title">Compliance rules</h2>
      <p>Enforced on every S3 read and write of this customer. Saving replaces the whole rule set.</p>
      ${editable ? rulesForm(`${customerBase(id)}/rules`, csrfField(c), values ?? valuesFromRules(res.body.rules), errors) : rulesFacts(res.body.rules)}
      </section>`,
  });
}

/** The list's query to the API: the filters as typed, the page's cursor and its page size. */
function listQuery(c: Context<ConsoleEnv>, filters: CustomerFilters): string {
  const params = new URLSearchParams();
  for (const name of FILTER_FIELDS) if (filters[name] !== "") params.set(name, filters[name]);
  params.set("limit", c.req.query("limit") ?? String(PAGE_SIZE));
  const cursor = c.req.query("cursor");
  if (cursor) params.set("cursor", cursor);
  return params.toString();
}

async function listPage(c: Context<ConsoleEnv>) {
  const filters: CustomerFilters = { q: "", residency: "", country: "" };
  for (const name of FILTER_FIELDS) filters[name] = (c.req.query(name) ?? "").trim();
  const res = await consoleApi(c).get<{ items: CustomerListItem[]; next_cursor: string | null }>(`/api/customers?${listQuery(c, filters)}`);
  if (res.status !== 200 && res.status !== 400) return apiFailurePage(c, res);
  const ok = res.status === 200;
  const e = ok ? undefined : formErrors(res.body, FILTER_FIELDS);
  const scoped = c.var.session.customerId !== null;
  const list = customerListView({
    items: ok ? res.body.items : [],
    filters,
    errors: e ? { ...e.fields, ...(e.general ? { "": e.general } : {}) } : {},
    paging: ok ? paging(c.req.url, res.body.next_cursor) : {},
    scoped,
  });
  return page(c, { title: "Customers", active: "customers", status: ok ? 200 : 400, body: html`${list}${scoped ? "" : openForm("/console/customers", "")}` });
}

/** Customers of this region: the list (a scoped token's holds its own customer), and opening one by id. */
export function customerPages(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/", async (c) => {
    const wanted = c.req.query("id");
    if (!wanted?.trim() || c.var.session.customerId) return listPage(c);
    const id = wanted.trim().toLowerCase();
    if (CUSTOMER_ID_RE.test(id)) return c.redirect(customerBase(id), 303);
    const error = "A customer id is 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit.";
    return page(c, { title: "Customers", active: "customers", status: 400, body: openForm("/console/customers", wanted, error) });
  });

  r.get("/:id", async (c) => {
    const id = customerIdOf(c);
    if (!id) return notFoundPage(c, "No such customer.");
    const res = await consoleApi(c).get<CustomerInfo>(`${apiCustomer(id)}/info`);
    if (res.status !== 200) return apiFailurePage(c, res);
    return page(c, {
      title: `${res.body.customer_name} (${id})`,
      active: "customers",
      body: html`${customerNav(customerBase(id), "profile")}${profile(res.body)}`,
    });
  });

  r.get("/:id/rules", async (c) => {
    const id = customerIdOf(c);
    return id ? rulesPage(c, id, undefined, noErrors) : notFoundPage(c, "No such customer.");
  });

  r.post("/:id/rules", async (c) => {
    const id = customerIdOf(c);
    if (!id) return notFoundPage(c, "No such customer.");
    const values = valuesFromForm(await c.req.parseBody());
    const res = await consoleApi(c).put<{ changed: string[] }>(`${apiCustomer(id)}/rules`, rulesBody(values));
    if (res.status === 200) {
      const changed = res.body.changed;
      return redirectWithFlash(c, `${customerBase(id)}/rules`, changed.length > 0 ? `Rules saved: ${changed.join(", ")} changed.` : "Rules saved: nothing changed.");
    }
    if (res.status === 400 || res.status === 409) return rulesPage(c, id, values, formErrors(res.body, RULE_FIELDS), res.status);
    return apiFailurePage(c, res);
  });

  return r;
}
