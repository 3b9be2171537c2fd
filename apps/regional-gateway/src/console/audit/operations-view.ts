import { html } from "hono/html";
import { checkbox, formError, select, submit, input as textInput } from "../layout/forms.ts";
import type { Html } from "../layout/page.ts";
import { table, type TableOptions } from "../layout/table.ts";
import { badge, type Tone, when } from "../compliance/bits.ts";

export interface OperationItem {
  id: number;
  request_id: string;
  created_at: string;
  customer_id: string | null;
  operation: string;
  bucket: string | null;
  key: string | null;
  result: string;
  status_code: number | null;
  error_code: string | null;
  source_ip: string | null;
  source_country: string | null;
  cross_border: boolean;
  principal: string | null;
}

/** The filter form's values as typed; times are `datetime-local` values read as UTC. */
export interface OperationFilters {
  customer_id: string;
  operation: string;
  result: string;
  bucket: string;
  key_prefix: string;
  from: string;
  to: string;
  cross_border_only: boolean;
}

export interface OperationsViewInput {
  items: OperationItem[];
  filters: OperationFilters;
  errors: Record<string, string>;
  paging: Pick<TableOptions<unknown>, "next" | "first">;
  scoped: boolean;
  /** Region-wide admins and auditors may verify the chain and export the log. */
  chainLink: boolean;
}

const RESULT_TONE: Record<string, Tone> = { success: "ok", denied: "warn", error: "bad" };

function filterForm(input: OperationsViewInput) {
  const f = input.filters;
  const e = input.errors;
  const text = (name: "customer_id" | "operation" | "bucket" | "key_prefix", label: string, placeholder: string) =>
    textInput({ name, label, value: f[name], placeholder, error: e[name] });
  return html`<form method="get" action="/console/audit" class="filters" aria-label="Filter the operations log">
    ${input.scoped ? "" : text("customer_id", "Customer", "any customer")}
    ${text("operation", "Operation", "e.g. PutObject")}
    ${select({ name: "result", label: "Result", value: f.result, error: e.result, options: [{ value: "", label: "any" }, ...["success", "denied", "error"].map((r) => ({ value: r, label: r }))] })}
    ${text("bucket", "Bucket", "any bucket")}
    ${text("key_prefix", "Key prefix", "e.g. contracts/")}
    ${textInput({ name: "from", type: "datetime-local", label: "From (UTC)", value: f.from, error: e.from, attrs: html`step="1"` })}
    ${textInput({ name: "to", type: "datetime-local", label: "To (UTC)", value: f.to, error: e.to, attrs: html`step="1"` })}
    ${checkbox({ name: "cross_border_only", label: "Cross-border only", value: "true", checked: f.cross_border_only, error: e.cross_border_only })}
    <div class="field"><span class="actions">${submit("Filter", { kind: "plain" })}<a href="/console/audit">Clear filters</a></span></div>
  </form>
  ${formError(e[""])}`;
}

const target = (o: OperationItem) => (o.bucket ? html`<code>${o.bucket}${o.key ? `/${o.key}` : ""}</code>` : "");

const result = (o: OperationItem) =>
  html`${badge(o.result, RESULT_TONE[o.result] ?? "neutral")}${o.status_code ? ` ${o.status_code}` : ""}${o.error_code ? html`<br><span class="muted">${o.error_code}</span>` : ""}`;

const source = (o: OperationItem) =>
  html`${o.source_country ?? html`<span class="muted">unknown</span>`}${o.cross_border ? html` ${badge("cross-border", "warn")}` : ""}`;

/** The operations log, newest first, with every filter the API offers. */
export function operationsView(input: OperationsViewInput): Html {
  return html`${input.chainLink ? html`<p><a href="/console/audit/chain">Chain verification, signed checkpoints and export</a></p>` : ""}
  ${filterForm(input)}
  ${table<OperationItem>({
    caption: "Operations log, newest first",
    rows: input.items,
    empty: "No operations match these filters. Widen the time range or clear the filters.",
    ...input.paging,
    columns: [
      { label: "Time (UTC)", cell: (o) => when(o.created_at) },
      { label: "Operation", cell: (o) => o.operation },
      { label: "Customer", cell: (o) => o.customer_id ?? html`<span class="muted">none</span>` },
      { label: "Bucket / key", cell: target },
      { label: "Result", cell: result },
      { label: "Principal", cell: (o) => o.principal ?? "" },
      { label: "Source", cell: source },
    ],
  })}`;
}
