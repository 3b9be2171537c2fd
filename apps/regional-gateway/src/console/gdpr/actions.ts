import { Hono } from "hono";
import { formErrors } from "../layout/api-errors.ts";
import { notFoundPage } from "../layout/errors.ts";
import { page } from "../layout/page.ts";
import { redirectWithFlash } from "../layout/flash.ts";
import { consoleApi, type ApiResult } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { apiMessage, canAct, type Ctx, formFields, refusalPage } from "../compliance/kit.ts";
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

const here = (id: string) => `/console/gdpr/${encodeURIComponent(id)}`;

/** Execute and lift end on the request's page: done (flash), or why not (flash), PRG either way. */
function afterAction(c: Ctx, id: string, res: ApiResult<DsrItem>, done: (r: DsrItem) => string): Promise<Response> {
  if (res.status === 200) return redirectWithFlash(c, here(id), done(res.body));
  if (res.status === 400 || res.status === 409) return redirectWithFlash(c, here(id), apiMessage(res), "error");
  return refusalPage(c, res);
}

function executed(r: DsrItem): string {
  const outcome = (r.result?.outcome as string | undefined) ?? null;
  const n = r.affected_objects.length;
  if (r.request_type === "access" || r.request_type === "portability") return `Executed: the export of ${n} object(s) is ready to download.`;
  if (r.request_type === "restriction") return `Executed: reads of ${n} object(s) are now refused.`;
  return `Executed${outcome ? ` (${outcome})` : ""}: ${n} object(s) affected.`;
}

/** Carrying a request out: execute, lift a restriction, track status and notes, download the export; and its page. */
export function gdprActionRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.post("/:id/execute", async (c) => {
    const id = c.req.param("id");
    return afterAction(c, id, await consoleApi(c).post<DsrItem>(`/api/gdpr/requests/${encodeURIComponent(id)}/execute`), executed);
  });

  r.post("/:id/lift", async (c) => {
    const id = c.req.param("id");
    const res = await consoleApi(c).post<DsrItem>(`/api/gdpr/requests/${encodeURIComponent(id)}/lift`);
    return afterAction(c, id, res, () => "The restriction is lifted: the subject's objects are readable again.");
  });

  r.post("/:id", async (c) => {
    const id = c.req.param("id");
    const f = await formFields(c);
    const body: Record<string, string> = {};
    if (f.status) body.status = f.status;
    if (f.notes) body.notes = f.notes;
    const res = await consoleApi(c).patch<DsrItem>(`/api/gdpr/requests/${encodeURIComponent(id)}`, body);
    if (res.status === 200) return redirectWithFlash(c, here(id), "Saved.");
    if (res.status === 400 || res.status === 409) {
      const e = formErrors(res.body, ["status", "notes"]);
      const errors = { ...e.fields, ...(e.general ? { "": e.general } : {}) };
      return detailPage(c, id, { update: { values: f, errors } }, 400);
    }
    return refusalPage(c, res);
  });

  // The API's export, streamed through with the session's token; the browser saves it as a file.
  r.get("/:id/export", async (c) => {
    const id = c.req.param("id");
    const res = await consoleApi(c).raw("GET", `/api/gdpr/requests/${encodeURIComponent(id)}/export`);
    if (res.status === 200) {
      return new Response(res.body, {
        status: 200,
        headers: {
          "content-type": res.headers.get("content-type") ?? "application/json",
          "content-disposition": res.headers.get("content-disposition") ?? `attachment; filename="dsr-${id}.json"`,
          "cache-control": "no-store",
        },
      });
    }
    const refused: ApiResult = { status: res.status, headers: res.headers, body: await res.json().catch(() => undefined) };
    if (res.status === 400 || res.status === 409) return redirectWithFlash(c, here(id), apiMessage(refused), "error");
    return refusalPage(c, refused);
  });

  return r;
}
