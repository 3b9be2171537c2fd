import { CUSTOMER_ID_RE } from "@s3gw/core";
import { Hono } from "hono";
import { html } from "hono/html";
import { formErrors, noErrors, type FormErrors } from "../layout/api-errors.ts";
import { notFoundPage } from "../layout/errors.ts";
import { redirectWithFlash } from "../layout/flash.ts";
import { page } from "../layout/page.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { Context } from "hono";
import type { ConsoleEnv } from "../session/env.ts";
import { RULE_FIELDS, rulesBody, rulesFacts, rulesForm, type RulesValues, type RulesView, valuesFromForm, valuesFromRules } from "./rules-form.ts";
import { apiCustomer, apiFailurePage, customerBase, customerIdOf } from "./shared.ts";
import { type CustomerInfo, customerNav, openForm, profile } from "./views.ts";

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

/**
 * Customers of this region. The API has no listing of customers: a token scoped to one customer
 * goes straight to it; any other opens a customer by id.
 */
export function customerPages(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/", async (c) => {
    const scoped = c.var.session.customerId;
    if (scoped) return c.redirect(customerBase(scoped), 303);
    const wanted = (c.req.query("id") ?? "").trim().toLowerCase();
    if (wanted && CUSTOMER_ID_RE.test(wanted)) return c.redirect(customerBase(wanted), 303);
    const error = wanted ? "A customer id is 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit." : undefined;
    return page(c, { title: "Customers", active: "customers", status: error ? 400 : 200, body: openForm("/console/customers", wanted, error) });
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
