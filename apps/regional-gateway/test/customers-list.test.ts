import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, allPages, bearer, getAs, mintToken, register, registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";

interface Item {
  customer_id: string; customer_name: string; country: string; legal_zone: string;
  data_residency_requirement: string; status: string; created_at: string; bucket_count: number;
}

let fi: TestRegion;
let sql: postgres.Sql;

const list = async (query = "", auth: Record<string, string> = adminAuth) => {
  const res = await getAs(fi.url, `/api/customers${query}`, auth);
  return { status: res.status, body: (await res.json()) as { items: Item[]; next_cursor: string | null; error?: { code: string; message: string } } };
};
const ids = (items: Item[]) => items.map((i) => i.customer_id);

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  await registerWithBuckets(fi.url, "acme-corp", ["contracts", "invoices"], { customer_name: "Acme Oy" });
  expect((await register(fi.url, "acme-labs", { customer_name: "100% Pure_Labs" })).status).toBe(201);
  expect((await register(fi.url, "berlin-gmbh", { customer_name: "Berliner GmbH", country: "Germany", data_residency_requirement: "jurisdiction" })).status).toBe(201);
  expect((await register(fi.url, "globex", { customer_name: "Globex Inc", country: "United States", data_residency_requirement: "flexible" })).status).toBe(201);
  expect((await register(fi.url, "x-100", { customer_name: "100 Percent AB", country: "Sweden", data_residency_requirement: "jurisdiction" })).status).toBe(201);
});

afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("GET /api/customers", () => {
  it("lists every customer once in id order across keyset pages, with residency, status and bucket count", async () => {
    const pages = await allPages<Item>(fi.url, "/api/customers?limit=2");
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(ids(pages.flat())).toEqual(["acme-corp", "acme-labs", "berlin-gmbh", "globex", "x-100"]);
    const acme = pages[0]![0]!;
    expect(acme).toMatchObject({ customer_name: "Acme Oy", country: "FI", legal_zone: "EU", data_residency_requirement: "strict", status: "active", bucket_count: 2 });
    expect(new Date(acme.created_at).toISOString()).toBe(acme.created_at);
    expect(pages.flat().find((i) => i.customer_id === "globex")).toMatchObject({ country: "US", data_residency_requirement: "flexible", bucket_count: 0 });
  });

  it("filters by residency and by country (code or name), and pages within a filter", async () => {
    expect(ids((await list("?residency=jurisdiction")).body.items)).toEqual(["berlin-gmbh", "x-100"]);
    expect(ids((await list("?country=de")).body.items)).toEqual(["berlin-gmbh"]);
    expect(ids((await list("?country=Finland&residency=strict")).body.items)).toEqual(["acme-corp", "acme-labs"]);
    const first = await list("?residency=jurisdiction&limit=1");
    expect(ids(first.body.items)).toEqual(["berlin-gmbh"]);
    const second = await list(`?residency=jurisdiction&limit=1&cursor=${first.body.next_cursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ customer_id: "x-100" })], next_cursor: null });
    expect(await list("?residency=flexible&country=FI")).toEqual({ status: 200, body: { items: [], next_cursor: null } });
  });

  it("matches q as a customer id prefix or a case-insensitive name substring, with LIKE wildcards literal", async () => {
    expect(ids((await list("?q=acme")).body.items)).toEqual(["acme-corp", "acme-labs"]);
    expect(ids((await list("?q=GMBH")).body.items)).toEqual(["berlin-gmbh"]);
    // A prefix of the id, not a substring: "corp" is inside acme-corp's id but begins neither id nor name.
    expect(ids((await list("?q=corp")).body.items)).toEqual([]);
    expect(ids((await list(`?q=${encodeURIComponent("100%")}`)).body.items)).toEqual(["acme-labs"]);
    expect(ids((await list("?q=pure_")).body.items)).toEqual(["acme-labs"]);
    expect(ids((await list("?q=%25")).body.items)).toEqual(["acme-labs"]);
    expect(ids((await list("?q=_")).body.items)).toEqual(["acme-labs"]);
    expect(ids((await list(`?q=${encodeURIComponent("\\")}`)).body.items)).toEqual([]);
  });

  it("refuses bad input with a 400 naming the field, never a 500", async () => {
    const cases: [string, RegExp][] = [
      ["?limit=0", /^limit: /],
      ["?limit=501", /^limit: /],
      ["?limit=ten", /^limit: /],
      ["?residency=lenient", /^residency: /],
      ["?country=Atlantis", /^country: unknown country: Atlantis/],
      [`?q=${"a".repeat(201)}`, /^q: /],
      ["?q=%20%20", /^q: /],
      ["?sort=name", /sort/],
      ["?cursor=not-base64-json", /malformed cursor/],
      [`?cursor=${Buffer.from(JSON.stringify({ id: "'; drop table customers; --" })).toString("base64url")}`, /malformed cursor/],
    ];
    for (const [query, message] of cases) {
      const res = await list(query);
      expect(res.status, query).toBe(400);
      expect(res.body.error?.code, query).toBe("BAD_REQUEST");
      expect(res.body.error?.message, query).toMatch(message);
    }
  });

  it("shows a customer-scoped token only its own customer, whatever it filters by", async () => {
    const token = bearer(await mintToken(fi.url, "acme-officer", "compliance_officer", "acme-corp"));
    expect(ids((await list("", token)).body.items)).toEqual(["acme-corp"]);
    expect(ids((await list("?q=globex", token)).body.items)).toEqual([]);
    expect(ids((await list("?residency=flexible", token)).body.items)).toEqual([]);
    const auditor = bearer(await mintToken(fi.url, "auditor-all", "auditor"));
    expect((await list("?limit=500", auditor)).body.items).toHaveLength(5);
  });

  it("lists only customers homed in this region, not a profile row left for another region", async () => {
    await sql`insert into customers (customer_id, customer_name, region_id, country, legal_zone, data_residency_requirement, primary_contact_email, compliance_officer_email)
      values ('acme-moved', 'Acme Moved', 'DE-FRA', 'DE', 'EU', 'jurisdiction', 'a@acme.de', 'b@acme.de')`;
    try {
      expect(ids((await list("?q=acme")).body.items)).toEqual(["acme-corp", "acme-labs"]);
    } finally {
      await sql`delete from customers where customer_id = 'acme-moved'`;
    }
  });

  it("needs a read role, and the operations log records the listing and its denials", async () => {
    expect((await list("", {})).status).toBe(401);
    expect((await list("", bearer("not-a-token"))).status).toBe(401);
    const rows = await sql`select customer_id, status_code, result from operations_log where operation_type = 'ListCustomers' order by created_at`;
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((r) => r.status_code === 401)).toHaveLength(2);
    expect(rows.some((r) => r.customer_id === "acme-corp" && r.status_code === 200)).toBe(true);
  });
});
