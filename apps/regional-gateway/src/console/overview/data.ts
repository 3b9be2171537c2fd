import type { Context } from "hono";
import type { RegionalDashboard } from "../../services/ops/ops-dashboard.ts";
import { consoleApi } from "../session/api-client.ts";
import type { ConsoleEnv } from "../session/env.ts";

/** A count read from a list page: `more` when the list went on past the page. */
export interface Count { n: number; more: boolean }

export interface OverviewData {
  health: { database: boolean; storage: boolean; storageType?: string; storageCountry?: string };
  /** The region's traffic (region-wide: not shown to a customer-scoped token, as the API decides). */
  traffic: RegionalDashboard["requests"] | null;
  /** Null when the API could not say (its database is down). */
  work: {
    violations: Count;
    severe?: { critical: number; high: number };
    gdprPending: Count;
    gdprOverdue: Count;
    gdprDueSoon?: { n: number; days: number };
    holds: Count;
    retained?: number;
  } | null;
}

const exact = (n: number): Count => ({ n, more: false });

/**
 * Everything the overview shows, from the API as the signed-in user may see it: region-wide
 * from the ops dashboard's JSON; for a customer-scoped token (which the dashboard refuses)
 * from its customer's compliance summary and the GDPR list.
 */
export async function overviewData(c: Context<ConsoleEnv>): Promise<OverviewData> {
  const api = consoleApi(c);
  const scope = c.var.session.customerId;
  if (!scope) {
    const dash = await api.get<RegionalDashboard>("/ops/dashboard?format=json&top=1");
    if (dash.status !== 200) throw new Error(`ops dashboard answered ${dash.status}`);
    const d = dash.body;
    const k = d.compliance;
    return {
      health: { database: d.health.database === "ok", storage: d.health.storage.status === "ok", storageType: d.health.storage.type, storageCountry: d.health.storage.country },
      traffic: d.requests,
      work: k && {
        violations: exact(k.open_violations.total),
        severe: { critical: k.open_violations.critical, high: k.open_violations.high },
        gdprPending: exact(k.gdpr_requests.pending),
        gdprOverdue: exact(k.gdpr_requests.overdue),
        gdprDueSoon: { n: k.gdpr_requests.due_soon, days: k.gdpr_requests.due_soon_days },
        holds: exact(k.legal_holds),
        retained: k.retained_objects,
      },
    };
  }
  const headers = { "x-customer-id": scope };
  const [health, summary, overdue] = await Promise.all([
    api.get<{ database?: string; storage?: { status?: string; type?: string; country?: string } }>("/health"),
    api.get<{ open_violations: number; pending_data_requests: number; legal_hold_objects: number }>("/api/compliance/summary", { headers }),
    api.get<{ items: unknown[]; next_cursor: string | null }>(`/api/gdpr/requests?overdue=true&limit=500&customer_id=${encodeURIComponent(scope)}`),
  ]);
  const s = summary.status === 200 ? summary.body : undefined;
  return {
    health: {
      database: health.body?.database === "ok",
      storage: health.body?.storage?.status === "ok",
      storageType: health.body?.storage?.type,
      storageCountry: health.body?.storage?.country,
    },
    traffic: null,
    work: s && overdue.status === 200
      ? {
          violations: exact(s.open_violations),
          gdprPending: exact(s.pending_data_requests),
          gdprOverdue: { n: overdue.body.items.length, more: overdue.body.next_cursor !== null },
          holds: exact(s.legal_hold_objects),
        }
      : null,
  };
}
