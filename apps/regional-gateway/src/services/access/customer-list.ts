import { and, asc, eq, getTableName, gt, or, sql, type SQL } from "drizzle-orm";
import { CUSTOMER_ID_RE, RESIDENCY_REQUIREMENTS, resolveCountry } from "@s3gw/core";
import { buckets, customers } from "@s3gw/schema-regional";
import { z } from "zod";
import type { RegionalDb } from "../../env.ts";
import { limitParam } from "../paging.ts";

export const customerListQuery = z.strictObject({
  limit: limitParam,
  cursor: z.string().max(500).optional(),
  residency: z.enum(RESIDENCY_REQUIREMENTS).optional(),
  // An ISO 3166-1 alpha-2 code or an English name, stored as the code (as registration does).
  country: z
    .string()
    .trim()
    .min(2)
    .max(60)
    .transform((v, ctx) => {
      const known = resolveCountry(v);
      if (!known) ctx.addIssue({ code: "custom", message: `unknown country: ${v}` });
      return known?.code ?? v;
    })
    .optional(),
  q: z.string().trim().min(1).max(200).optional(),
});

/** Keyset on the primary key: customer ids are unique, so the id alone orders the pages. */
export const customerListCursor = z.strictObject({ id: z.string().regex(CUSTOMER_ID_RE) });

export interface CustomerListInput {
  regionId: string;
  /** A customer-scoped token's own customer: the list narrows to it. */
  onlyCustomerId?: string | undefined;
  residency?: (typeof RESIDENCY_REQUIREMENTS)[number] | undefined;
  country?: string | undefined;
  q?: string | undefined;
  limit: number;
  after?: { id: string } | undefined;
}

/** User text as a literal LIKE pattern fragment: `%`, `_` and the escape character match themselves. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** Customers homed in this region, in customer id order, each with its bucket count. */
export async function listCustomers(db: RegionalDb, input: CustomerListInput) {
  const c = customers;
  const conds: (SQL | undefined)[] = [eq(c.regionId, input.regionId)];
  if (input.onlyCustomerId !== undefined) conds.push(eq(c.customerId, input.onlyCustomerId));
  if (input.residency !== undefined) conds.push(eq(c.dataResidencyRequirement, input.residency));
  if (input.country !== undefined) conds.push(eq(c.country, input.country));
  if (input.q !== undefined) {
    const literal = likeLiteral(input.q);
    conds.push(or(sql`${c.customerId} LIKE ${`${literal.toLowerCase()}%`} ESCAPE '\\'`, sql`${c.customerName} ILIKE ${`%${literal}%`} ESCAPE '\\'`));
  }
  if (input.after) conds.push(gt(c.customerId, input.after.id));
  // Drizzle renders a column of a single-table query unqualified, which inside the subquery
  // would bind to buckets' own customer_id: the outer row is named by its table explicitly.
  const outerId = sql`${sql.identifier(getTableName(c))}.${sql.identifier(c.customerId.name)}`;
  const bucketCount = sql<number>`(SELECT count(*)::int FROM ${buckets} WHERE ${buckets.customerId} = ${outerId})`;
  const rows = await db
    .select({ row: c, bucketCount })
    .from(c)
    .where(and(...conds))
    .orderBy(asc(c.customerId))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ row, bucketCount }) => ({
      customer_id: row.customerId,
      customer_name: row.customerName,
      country: row.country,
      legal_zone: row.legalZone,
      data_residency_requirement: row.dataResidencyRequirement,
      status: row.status,
      created_at: row.createdAt.toISOString(),
      bucket_count: Number(bucketCount),
    })),
    next: rows.length > input.limit && last ? { id: last.row.customerId } : undefined,
  };
}

export type CustomerListItem = Awaited<ReturnType<typeof listCustomers>>["items"][number];
