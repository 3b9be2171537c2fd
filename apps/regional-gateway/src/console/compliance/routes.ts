import { Hono } from "hono";
import { html } from "hono/html";
import { formErrors } from "../layout/api-errors.ts";
import { redirectWithFlash } from "../layout/flash.ts";
import { formError } from "../layout/forms.ts";
import { page } from "../layout/page.ts";
import { paging } from "../layout/table.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { alertsView, type AlertItem, type AlertsViewInput } from "./alerts-view.ts";
import { complianceCheckRoutes } from "./checks.ts";
import { canAct, type Ctx, formFields, query, queryValues, refusalPage } from "./kit.ts";
import { complianceTabs } from "./bits.ts";

const FILTERS = ["customer_id", "severity"] as const;

async function alertsPage(c: Ctx, error?: AlertsViewInput["error"]): Promise<Response> {
  const filters = queryValues(c, FILTERS);
  const res = await consoleApi(c).get<{ items: AlertItem[]; next_cursor: string | null }>(`/api/compliance/alerts${query({ ...filters, cursor: c.req.query("cursor"), limit: "25" })}`);
  if (res.status !== 200 && res.status !== 400) return refusalPage(c, res);
  const ok = res.status === 200;
  // A filter the API refused is shown next to it, above an empty list.
  const e = ok ? undefined : formErrors(res.body, [...FILTERS]);
  const view = alertsView({
    items: ok ? res.body.items : [],
    filters,
    filterErrors: e?.fields ?? {},
    paging: ok ? paging(c.req.url, res.body.next_cursor) : {},
    canResolve: canAct(c),
    scoped: c.var.session.customerId !== null,
    csrf: csrfField(c),
    error,
  });
  return page(c, {
    title: "Compliance",
    active: "compliance",
    status: ok && !error ? 200 : 400,
    body: html`${complianceTabs("alerts", canAct(c))}${formError(e?.general)}${view}`,
  });
}

/** The compliance section: open alerts (resolved with a note) and the checks in checks.ts. */
export function complianceConsoleRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/", (c) => alertsPage(c));

  r.post("/alerts/:id/resolve", async (c) => {
    const id = c.req.param("id");
    const note = (await formFields(c)).resolution_note ?? "";
    const res = await consoleApi(c).post(`/api/compliance/events/${encodeURIComponent(id)}/resolve`, { resolution_note: note });
    if (res.status === 200) return redirectWithFlash(c, "/console/compliance", "Alert resolved.");
    if (res.status === 409) return redirectWithFlash(c, "/console/compliance", "That alert was already resolved.", "error");
    if (res.status === 400) {
      const e = formErrors(res.body, ["resolution_note"]);
      if (e.fields.resolution_note) return alertsPage(c, { eventId: id, note, message: e.fields.resolution_note });
      return redirectWithFlash(c, "/console/compliance", e.general ?? "The alert could not be resolved.", "error");
    }
    return refusalPage(c, res);
  });

  r.route("/", complianceCheckRoutes());
  return r;
}
