import { html } from "hono/html";
import { paging, table } from "../layout/table.ts";
import { type AccessKeyItem, keyActions } from "./views.ts";

/** One page of the API's listing; `csrf` null: the viewer may not change keys, so no actions. */
export function keyTable(base: string, url: string, items: AccessKeyItem[], nextCursor: string | null, csrf: unknown | null) {
  const columns = [
    { label: "Access key id", cell: (k: AccessKeyItem) => html`<code>${k.access_key_id}</code>` },
    { label: "Description", cell: (k: AccessKeyItem) => k.description ?? "" },
    { label: "Permission", cell: (k: AccessKeyItem) => `${k.permission}${k.bypass_governance ? " (may bypass governance)" : ""}` },
    { label: "Allowed buckets", cell: (k: AccessKeyItem) => (k.allowed_buckets ? k.allowed_buckets.join(", ") : "every bucket") },
    { label: "Status", cell: (k: AccessKeyItem) => html`<span class="badge ${k.status === "active" ? "badge-ok" : "badge-neutral"}" data-key-status="${k.access_key_id}">${k.status}</span>` },
    { label: "Created", cell: (k: AccessKeyItem) => html`<time datetime="${k.created_at}">${k.created_at.slice(0, 10)}</time> by ${k.created_by}` },
    ...(csrf ? [{ label: "Actions", cell: (k: AccessKeyItem) => keyActions(base, k, csrf) }] : []),
  ];
  return table({
    caption: "Access keys (secrets are never listed)",
    columns,
    rows: items,
    empty: csrf ? "This customer has no access keys yet. Create one with the form below; its secret is shown once, right after creation." : "This customer has no access keys yet.",
    ...paging(url, nextCursor),
  });
}
