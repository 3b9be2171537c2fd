import { Hono } from "hono";
import { html } from "hono/html";
import { formErrors } from "../layout/api-errors.ts";
import { page } from "../layout/page.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { alertsView, type AlertItem, type AlertsViewInput } from "./alerts-view.ts";
import { complianceCheckRoutes } from "./checks.ts";
import { canAct, type Ctx, flashRedirect, formFields, query, queryValues, refusalPage } from "./kit.ts";
import { complianceTabs } from "./tabs.ts";

const FILTERS = ["customer_id", "severity", "cursor"] as const;

async function alertsPage(c: Ctx, error?: AlertsViewInput["error"]): Promise<Response> {
  const f = queryValues(c, FILTERS);
  const filters = { customer_id: f.customer_id, severity: f.severity };
  const res = await consoleApi(c).get<{ items: AlertItem[]; next_cursor: string | null }>(`/api/compliance/alerts${query({ ...filters, cursor: f.cursor, limit: "25" })}`);
  const tabs = complianceTabs("alerts", canAct(c));
  if (res.status === 400) {
    // A filter the API refused: shown above an empty list so the user can fix it.
    const errs = formErrors(res.body, ["customer_id", "severity", "cursor"]);
    const msg = Object.entries(errs.fields).map(([k, v]) => `${k}: ${v}`).concat(errs.general ?? []).join("; ");
    return page(c, { title: "Compliance", active: "compliance", status: 400, body: html`${tabs}<p class="field-error" role="alert">${msg}</p>${alertsView(viewInput(c, filters, [], null, error))}` });
  }
  if (res.status !== 200) return refusalPage(c, res);
  const next = res.body.next_cursor ? `/console/compliance${query({ ...filters, cursor: res.body.next_cursor })}` : null;
  return page(c, {
    title: "Compliance",
    active: "compliance",
    status: error ? 400 : 200,
    body: html`${tabs}${alertsView(viewInput(c, filters, res.body.items, next, error))}`,
  });
}

function viewInput(c: Ctx, filters: AlertsViewInput["filters"], items: AlertItem[], nextHref: string | null, error?: AlertsViewInput["error"]): AlertsViewInput {
  return { items, filters, nextHref, canResolve: canAct(c), scoped: c.var.session.customerId !== null, csrf: csrfField(c), error };
}

/** The compliance section: open alerts (resolved with a note) and the checks in checks.ts. */
export function complianceConsoleRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/", (c) => alertsPage(c));

  r.post("/alerts/:id/resolve", async (c) => {
    const id = c.req.param("id");
    const form = await formFields(c);
    const note = form.resolution_note ?? "";
    const res = await consoleApi(c).post(`/api/compliance/events/${encodeURIComponent(id)}/resolve`, { resolution_note: note });
    if (res.status === 200) return flashRedirect(c, "/console/compliance", "ok", "Alert resolved.");
    if (res.status === 409) return flashRedirect(c, "/console/compliance", "error", "That alert was already resolved.");
    if (res.status === 400) {
      const errs = formErrors(res.body, ["resolution_note"]);
      return alertsPage(c, { eventId: id, note, message: errs.fields.resolution_note ?? errs.general ?? "The note was not accepted." });
    }
    return refusalPage(c, res);
  });

  r.route("/", complianceCheckRoutes());
  return r;
}
