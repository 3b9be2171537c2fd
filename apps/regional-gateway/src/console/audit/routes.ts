import { Hono } from "hono";
import { html } from "hono/html";
import { formErrors } from "../layout/api-errors.ts";
import { page } from "../layout/page.ts";
import { paging } from "../layout/table.ts";
import { consoleApi, type ApiResult } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { redirectWithFlash } from "../layout/flash.ts";
import { submit } from "../layout/forms.ts";
import { apiMessage, type Ctx, query, queryValues, refusalPage, utcFromLocalInput } from "../compliance/kit.ts";
import { chainView, type ChainViewInput, type CheckpointItem, type VerifyReport } from "./chain-view.ts";
import { type OperationFilters, type OperationItem, operationsView } from "./operations-view.ts";

const TEXT_FILTERS = ["customer_id", "operation", "result", "bucket", "key_prefix", "from", "to"] as const;
const EXPORT_FIELDS = ["from_id", "to_id", "from", "to"] as const;

/** Admins and auditors with a region-wide token read the chain, its checkpoints and the export. */
const chainReader = (c: Ctx) => c.var.session.customerId === null && (c.var.session.role === "admin" || c.var.session.role === "auditor");

function filtersOf(c: Ctx): OperationFilters {
  return { ...queryValues(c, TEXT_FILTERS), cross_border_only: c.req.query("cross_border_only") === "true" };
}

/** The API's query for the form's filters; the page's times are UTC wall-clock values. */
const apiQuery = (f: OperationFilters) => ({
  ...f,
  from: utcFromLocalInput(f.from),
  to: utcFromLocalInput(f.to),
  cross_border_only: f.cross_border_only ? "true" : undefined,
});

async function operationsPage(c: Ctx): Promise<Response> {
  const filters = filtersOf(c);
  const res = await consoleApi(c).get<{ items: OperationItem[]; next_cursor: string | null }>(`/api/audit/operations${query({ ...apiQuery(filters), cursor: c.req.query("cursor"), limit: "50" })}`);
  if (res.status !== 200 && res.status !== 400) return refusalPage(c, res);
  const ok = res.status === 200;
  const e = ok ? undefined : formErrors(res.body, TEXT_FILTERS);
  const body = operationsView({
    items: ok ? res.body.items : [],
    filters,
    errors: e ? { ...e.fields, ...(e.general ? { "": e.general } : {}) } : {},
    paging: ok ? paging(c.req.url, res.body.next_cursor) : {},
    scoped: c.var.session.customerId !== null,
    chainLink: chainReader(c),
  });
  return page(c, { title: "Audit log", active: "audit", status: ok ? 200 : 400, body });
}

async function chainPage(c: Ctx, exportValues: ChainViewInput["exportValues"], exportErrors: Record<string, string> = {}): Promise<Response> {
  const api = consoleApi(c);
  const [verify, checkpoints] = await Promise.all([
    api.get<VerifyReport>("/api/audit/verify"),
    api.get<{ items: CheckpointItem[]; next_cursor: string | null }>(`/api/audit/checkpoints${query({ cursor: c.req.query("cursor"), limit: "20" })}`),
  ]);
  if (verify.status !== 200) return refusalPage(c, verify);
  if (checkpoints.status !== 200) return refusalPage(c, checkpoints);
  const body = chainView({
    verify: verify.body,
    checkpoints: checkpoints.body.items,
    paging: paging(c.req.url, checkpoints.body.next_cursor),
    exportValues,
    exportErrors,
    signForm: c.var.session.role === "admin" ? html`<form method="post" action="/console/audit/checkpoints">${csrfField(c)}${submit("Sign a checkpoint now", { kind: "plain" })}</form>` : null,
  });
  return page(c, { title: "Audit chain", active: "audit", status: Object.keys(exportErrors).length ? 400 : 200, body });
}

/** The operations log with its filters, the chain's verification and checkpoints, and the export. */
export function auditConsoleRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/", operationsPage);

  r.get("/chain", (c) => chainPage(c, { from_id: "", to_id: "", from: "", to: "" }));

  r.post("/checkpoints", async (c) => {
    const res = await consoleApi(c).post<CheckpointItem>("/api/audit/checkpoints");
    if (res.status === 201) return redirectWithFlash(c, "/console/audit/chain", `Checkpoint ${res.body.id} signed: rows up to ${res.body.last_id}.`);
    if (res.status === 503 || res.status === 409) return redirectWithFlash(c, "/console/audit/chain", apiMessage(res), "error");
    return refusalPage(c, res);
  });

  // The API's JSON Lines export streamed through with the session's token, as a download.
  r.get("/export", async (c) => {
    const v = queryValues(c, EXPORT_FIELDS);
    const res = await consoleApi(c).raw("GET", `/api/audit/export${query({ from_id: v.from_id, to_id: v.to_id, from: utcFromLocalInput(v.from), to: utcFromLocalInput(v.to) })}`);
    if (res.status === 200) {
      return new Response(res.body, {
        status: 200,
        headers: {
          "content-type": res.headers.get("content-type") ?? "application/x-ndjson",
          "content-disposition": res.headers.get("content-disposition") ?? 'attachment; filename="audit.jsonl"',
          "cache-control": "no-store",
        },
      });
    }
    const refused: ApiResult = { status: res.status, headers: res.headers, body: await res.json().catch(() => undefined) };
    if (res.status !== 400) return refusalPage(c, refused);
    const e = formErrors(refused.body, EXPORT_FIELDS);
    return chainPage(c, v, { ...e.fields, ...(e.general ? { "": e.general } : {}) });
  });

  return r;
}
