import { notFoundPage } from "../layout/errors.ts";
import { page } from "../layout/page.ts";
import { consoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import { canAct, type Ctx, refusalPage } from "../compliance/kit.ts";
import { dsrDetailView, type DsrDetailInput } from "./detail-view.ts";
import type { DsrItem } from "./list-view.ts";

/** One request's page; `extra` carries a refused update or action back to its form. */
export async function detailPage(c: Ctx, id: string, extra: Partial<DsrDetailInput> = {}, status: 200 | 400 = 200): Promise<Response> {
  const res = await consoleApi(c).get<DsrItem>(`/api/gdpr/requests/${encodeURIComponent(id)}`);
  // A malformed id is no page, as an unknown one is not.
  if (res.status === 400) return notFoundPage(c, `No data-subject request ${id}.`);
  if (res.status !== 200) return refusalPage(c, res);
  const body = dsrDetailView({ dsr: res.body, canAct: canAct(c), csrf: csrfField(c), ...extra });
  return page(c, { title: `GDPR ${res.body.request_type} request`, active: "gdpr", status, body });
}
