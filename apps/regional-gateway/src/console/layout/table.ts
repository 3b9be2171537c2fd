import { html } from "hono/html";
import type { Html } from "./page.ts";

export interface Column<T> {
  label: string;
  cell: (row: T) => Html | string | number;
  /** Numbers align right. */
  numeric?: boolean;
}

export interface TableOptions<T> {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  /** Shown instead of an empty table: say what to do to get rows. */
  empty: string;
  /** The API's `next_cursor`, with the page's own URL (pagingHref builds the link). */
  next?: { href: string } | undefined;
  /** Present when the current page is not the first (a link back to the start). */
  first?: { href: string } | undefined;
}

/** A readable table with a caption, header cells with scope, and paging links. */
export function table<T>(opts: TableOptions<T>): Html {
  if (opts.rows.length === 0 && !opts.first) {
    return html`<section class="table-wrap"><h2 class="caption">${opts.caption}</h2><p class="empty">${opts.empty}</p></section>`;
  }
  const paging =
    opts.next || opts.first
      ? html`<nav class="paging" aria-label="${opts.caption}: pages">${opts.first ? html`<a href="${opts.first.href}">First page</a>` : ""}${opts.next ? html`<a href="${opts.next.href}" rel="next">Next page</a>` : ""}</nav>`
      : "";
  return html`<div class="table-wrap"><table>
<caption>${opts.caption}</caption>
<thead><tr>${opts.columns.map((col) => html`<th scope="col"${col.numeric ? html` class="num"` : ""}>${col.label}</th>`)}</tr></thead>
<tbody>${opts.rows.length === 0
      ? html`<tr><td colspan="${String(opts.columns.length)}" class="empty">${opts.empty}</td></tr>`
      : opts.rows.map((row) => html`<tr>${opts.columns.map((col) => html`<td${col.numeric ? html` class="num"` : ""}>${col.cell(row)}</td>`)}</tr>`)}</tbody>
</table>${paging}</div>`;
}

/**
 * The page's own URL with `cursor` set (or removed for the first page), keeping its other
 * query parameters (filters).
 */
export function pagingHref(currentUrl: string, cursor: string | null | undefined): string {
  const url = new URL(currentUrl);
  if (cursor) url.searchParams.set("cursor", cursor);
  else url.searchParams.delete("cursor");
  const q = url.searchParams.toString();
  return `${url.pathname}${q ? `?${q}` : ""}`;
}

/** Paging links for a list answered with `next_cursor`, on the page at `currentUrl`. */
export function paging(currentUrl: string, nextCursor: string | null | undefined): Pick<TableOptions<unknown>, "next" | "first"> {
  const onLaterPage = new URL(currentUrl).searchParams.has("cursor");
  return {
    next: nextCursor ? { href: pagingHref(currentUrl, nextCursor) } : undefined,
    first: onLaterPage ? { href: pagingHref(currentUrl, null) } : undefined,
  };
}
