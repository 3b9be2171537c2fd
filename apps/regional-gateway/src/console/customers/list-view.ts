import { html } from "hono/html";
import { formError, input, select, submit } from "../layout/forms.ts";
import type { Html } from "../layout/page.ts";
import { table, type TableOptions } from "../layout/table.ts";
import { customerBase } from "./shared.ts";

/** An item of GET /api/customers. */
export interface CustomerListItem {
  customer_id: string; customer_name: string; country: string; legal_zone: string;
  data_residency_requirement: string; status: string; created_at: string; bucket_count: number;
}

/** The filter form's values as typed (empty means "any"); they travel to the API unchanged. */
export interface CustomerFilters { q: string; residency: string; country: string }
export const FILTER_FIELDS = ["q", "residency", "country"] as const;

export interface CustomerListInput {
  items: CustomerListItem[];
  filters: CustomerFilters;
  /** Messages by filter field; "" holds what belongs to none (a stale cursor, a bad limit). */
  errors: Record<string, string>;
  paging: Pick<TableOptions<unknown>, "next" | "first">;
  /** A customer-scoped session: its list holds its own customer at most. */
  scoped: boolean;
}

const RESIDENCY_OPTIONS = [
  { value: "", label: "any" },
  { value: "strict", label: "strict (home country)" },
  { value: "jurisdiction", label: "jurisdiction (legal zone)" },
  { value: "flexible", label: "flexible" },
];

const filtered = (f: CustomerFilters) => f.q !== "" || f.residency !== "" || f.country !== "";

function filterForm(input_: CustomerListInput): Html {
  const f = input_.filters;
  const e = input_.errors;
  return html`<form method="get" action="/console/customers" class="filters" role="search" aria-label="Filter customers">
    ${input({ name: "q", type: "search", label: "Search", value: f.q, error: e.q, placeholder: "id prefix or part of the name", autocomplete: "off" })}
    ${select({ name: "residency", label: "Residency", value: f.residency, error: e.residency, options: RESIDENCY_OPTIONS })}
    ${input({ name: "country", label: "Country", value: f.country, error: e.country, placeholder: "e.g. FI or Finland", autocomplete: "off" })}
    <div class="field"><span class="actions">${submit("Filter", { kind: "plain" })}<a href="/console/customers">Clear filters</a></span></div>
  </form>
  ${formError(e[""])}`;
}

function emptyText(input_: CustomerListInput): string {
  if (filtered(input_.filters)) return "No customer matches these filters. Clear the filters or widen the search.";
  if (input_.scoped) return "The customer this token is scoped to is not registered in this region.";
  return "No customer is registered in this region yet. Route one to this region at the global router, then register its profile here (POST /api/customers/<id>/register).";
}

/** The region's customers, in id order, each linking to its profile. */
export function customerListView(input_: CustomerListInput): Html {
  return html`${input_.scoped ? "" : filterForm(input_)}
  ${table<CustomerListItem>({
    caption: input_.scoped ? "Your customer" : "Customers of this region, by id",
    columns: [
      { label: "Customer", cell: (r) => html`<a href="${customerBase(r.customer_id)}">${r.customer_name}</a><br><code>${r.customer_id}</code>` },
      { label: "Country", cell: (r) => `${r.country} (${r.legal_zone})` },
      { label: "Residency", cell: (r) => r.data_residency_requirement },
      { label: "Status", cell: (r) => r.status },
      { label: "Buckets", cell: (r) => r.bucket_count, numeric: true },
      { label: "Registered", cell: (r) => html`<time datetime="${r.created_at}">${r.created_at.slice(0, 10)}</time>` },
    ],
    rows: input_.items,
    empty: emptyText(input_),
    ...input_.paging,
  })}`;
}
