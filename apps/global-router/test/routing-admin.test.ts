import { INTERNAL_SIGNATURE_HEADER, signInternalRequest } from "@s3gw/core";
import { accessKeyRouting, customerRouting, publicBucketRouting, routingLog } from "@s3gw/schema-global";
import { and, eq } from "drizzle-orm";
import { UNROUTE_LOG_METHOD } from "../src/routing/unroute.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, GATEWAY_SECRET, json, register, startFakeRegion, startRouter, topologyOf, type FakeRegion, type RouterHarness } from "./helpers.ts";

const KEY = "S3GWUNROUTEAAAAAAAAA";
const OTHER_KEY = "S3GWSTAYSAAAAAAAAAAA";
let fi: FakeRegion;
let de: FakeRegion;
let h: RouterHarness;
let base: string;

function signed(method: "PUT" | "DELETE", path: string, body = "", secret = GATEWAY_SECRET): Promise<Response> {
  const signature = signInternalRequest(secret, { method, path, body }, Date.now() / 1000);
  return fetch(`${base}${path}`, { method, headers: { [INTERNAL_SIGNATURE_HEADER]: signature, "content-type": "application/json" }, body });
}
/** The signed internal unroute as a region sends it, naming itself. */
const unrouteAs = (region: string, customer: string) => signed("DELETE", `/internal/routing/customers/${customer}`, JSON.stringify({ calling_region: region }));
const owner = (customer: string) => JSON.stringify({ customer_id: customer });
const sigv4 = (akid: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${akid}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"a".repeat(64)}`,
  "x-amz-date": "20260101T000000Z",
});
const list = (query = "", headers: Record<string, string> = adminAuth) => fetch(`${base}/routing/customers${query}`, { headers });

beforeAll(async () => {
  fi = await startFakeRegion("FI-HEL");
  de = await startFakeRegion("DE-FRA");
  h = await startRouter(topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }, { regionId: "DE-FRA", url: de.url, country: "DE" }]));
  base = h.router.url;
  for (const [id, region] of [["acme", "FI-HEL"], ["beta-1", "FI-HEL"], ["beta-2", "DE-FRA"], ["zeta", "FI-HEL"], ["gone-co", "FI-HEL"], ["stays-co", "DE-FRA"]] as const) {
    expect((await register(base, id, region)).status).toBe(201);
  }
  expect((await signed("PUT", `/internal/access-keys/${KEY}`, owner("gone-co"))).status).toBe(201);
  expect((await signed("PUT", `/internal/access-keys/${OTHER_KEY}`, owner("stays-co"))).status).toBe(201);
  expect((await signed("PUT", "/internal/public-buckets/gone-public", owner("gone-co"))).status).toBe(201);
});
afterAll(async () => {
  await h?.stop();
  await fi?.close();
  await de?.close();
});

describe("GET /routing/customers", () => {
  it("pages the routing map by customer id and filters by region", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const page = (await json(res)) as { items: { customer_id: string; primary_region: string }[]; next_cursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.customer_id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(["acme", "beta-1", "beta-2", "gone-co", "stays-co", "zeta"]);
    const de = (await json(await list("?region=DE-FRA"))) as { items: { customer_id: string; primary_region: string }[] };
    expect(de.items.map((i) => [i.customer_id, i.primary_region])).toEqual([["beta-2", "DE-FRA"], ["stays-co", "DE-FRA"]]);
  });

  it("is admin only and refuses bad input with 400", async () => {
    expect((await list("", {})).status).toBe(401);
    expect((await list("", { authorization: "Bearer not-the-admin-token" })).status).toBe(401);
    for (const q of ["?limit=0", "?limit=501", "?limit=abc", "?cursor=%00bad", "?region=nowhere", "?region=XX-NOPE", "?extra=1"]) {
      const res = await list(q);
      expect(res.status, q).toBe(400);
      expect((await json(res)).error.code).toBe("BAD_REQUEST");
    }
  });
});

describe("DELETE /routing/customers/:id", () => {
  it("refuses without the admin token, with a bad id, and for an unknown customer", async () => {
    expect((await fetch(`${base}/routing/customers/gone-co`, { method: "DELETE" })).status).toBe(401);
    expect((await fetch(`${base}/routing/customers/Bad_Id`, { method: "DELETE", headers: adminAuth })).status).toBe(400);
    expect((await fetch(`${base}/routing/customers/never-routed`, { method: "DELETE", headers: adminAuth })).status).toBe(404);
    // The signed internal variant refuses a wrong secret.
    expect((await signed("DELETE", "/internal/routing/customers/gone-co", JSON.stringify({ calling_region: "FI-HEL" }), "w".repeat(40))).status).toBe(401);
    expect((await h.db.db.select().from(customerRouting).where(eq(customerRouting.customerId, "gone-co"))).length).toBe(1);
  });

  it("removes routing, access keys and public buckets; this instance forgets them at once", async () => {
    // Warm every map: the key routes to FI-HEL, the public bucket too.
    const before = await fetch(`${base}/s3/any-bucket/x`, { headers: sigv4(KEY) });
    expect(before.status).toBe(200);
    expect(fi.seen.at(-1)?.url).toBe("/s3/any-bucket/x");
    const seenBefore = fi.seen.length;

    const res = await fetch(`${base}/routing/customers/gone-co`, { method: "DELETE", headers: adminAuth });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ customer_id: "gone-co", routed: true, primary_region: "FI-HEL", access_keys_removed: 1, public_buckets_removed: 1 });

    const unknownKey = await fetch(`${base}/s3/any-bucket/x`, { headers: sigv4(KEY) });
    expect(unknownKey.status).toBe(403);
    expect(await unknownKey.text()).toContain("InvalidAccessKeyId");
    expect((await fetch(`${base}/gone-public/file.txt`)).status).toBe(403);
    expect(fi.seen.length).toBe(seenBefore);
    expect((await fetch(`${base}/routing/customers/gone-co`, { headers: adminAuth })).status).toBe(404);
    expect(await h.db.db.select().from(accessKeyRouting).where(eq(accessKeyRouting.customerId, "gone-co"))).toEqual([]);
    expect(await h.db.db.select().from(publicBucketRouting).where(eq(publicBucketRouting.customerId, "gone-co"))).toEqual([]);
    // Another customer is untouched.
    expect((await fetch(`${base}/s3/b/x`, { headers: sigv4(OTHER_KEY) })).status).toBe(200);
    expect(de.seen.at(-1)?.url).toBe("/s3/b/x");
    // Routing it again works (a fresh start), and the internal unroute is idempotent.
    expect((await unrouteAs("FI-HEL", "gone-co")).status).toBe(200);
    expect((await register(base, "gone-co", "DE-FRA")).status).toBe(201);
    const again = await unrouteAs("DE-FRA", "gone-co");
    expect(again.status).toBe(200);
    expect((await json(again)).routed).toBe(true);
    expect((await unrouteAs("DE-FRA", "gone-co")).status).toBe(200);
  });
});

describe("DELETE /internal/routing/customers/:id names the calling region", () => {
  const unrouteLog = (customer: string) =>
    h.db.db.select({ region: routingLog.regionId, status: routingLog.statusCode }).from(routingLog).where(and(eq(routingLog.customerId, customer), eq(routingLog.method, UNROUTE_LOG_METHOD))).orderBy(routingLog.id);

  it("refuses FI-HEL unrouting a DE-FRA customer (403, logged in the routing log); the customer keeps its routing and keys", async () => {
    const res = await unrouteAs("FI-HEL", "stays-co");
    expect(res.status).toBe(403);
    const body = await json(res);
    expect(body.error.code).toBe("FORBIDDEN");
    expect(body.error.message).not.toContain("DE-FRA");
    expect(await unrouteLog("stays-co")).toEqual([{ region: "FI-HEL", status: 403 }]);
    expect((await h.db.db.select().from(customerRouting).where(eq(customerRouting.customerId, "stays-co")))[0]?.primaryRegionId).toBe("DE-FRA");
    expect((await fetch(`${base}/s3/b/x`, { headers: sigv4(OTHER_KEY) })).status).toBe(200);
    expect(de.seen.at(-1)?.url).toBe("/s3/b/x");
  });

  it("refuses a call that does not name a known region, or whose named region is not what was signed", async () => {
    const path = "/internal/routing/customers/stays-co";
    for (const body of ["", "not json", "{}", JSON.stringify({ calling_region: "nowhere" }), JSON.stringify({ calling_region: "XX-NOPE" }), JSON.stringify({ calling_region: "DE-FRA", extra: 1 })]) {
      const res = await signed("DELETE", path, body);
      expect(res.status, body).toBe(400);
      expect((await json(res)).error.code).toBe("BAD_REQUEST");
    }
    // Signed as FI-HEL, sent as DE-FRA: the signature covers the body.
    const signature = signInternalRequest(GATEWAY_SECRET, { method: "DELETE", path, body: JSON.stringify({ calling_region: "FI-HEL" }) }, Date.now() / 1000);
    const forged = await fetch(`${base}${path}`, { method: "DELETE", headers: { [INTERNAL_SIGNATURE_HEADER]: signature }, body: JSON.stringify({ calling_region: "DE-FRA" }) });
    expect(forged.status).toBe(401);
    expect((await signed("DELETE", path, JSON.stringify({ calling_region: "DE-FRA", pad: "x".repeat(2000) }))).status).toBe(413);
    expect((await h.db.db.select().from(customerRouting).where(eq(customerRouting.customerId, "stays-co"))).length).toBe(1);
  });

  it("lets the home region unroute its customer, logged with its name", async () => {
    const res = await unrouteAs("DE-FRA", "stays-co");
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ customer_id: "stays-co", routed: true, primary_region: "DE-FRA", access_keys_removed: 1, public_buckets_removed: 0 });
    expect(await unrouteLog("stays-co")).toEqual([{ region: "FI-HEL", status: 403 }, { region: "DE-FRA", status: 200 }]);
    expect((await fetch(`${base}/s3/b/x`, { headers: sigv4(OTHER_KEY) })).status).toBe(403);
  });
});
