import { INTERNAL_SIGNATURE_HEADER, signInternalRequest } from "@s3gw/core";
import { customerRouting, routingLog } from "@s3gw/schema-global";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATEWAY_SECRET, json, register, startFakeRegion, startRouter, topologyOf, type FakeRegion, type RouterHarness } from "./helpers.ts";

let fi: FakeRegion;
let de: FakeRegion;
let h: RouterHarness;
let base: string;

function signed(method: "GET" | "POST", path: string, body = "", opts: { secret?: string; at?: number; bodySent?: string } = {}): Promise<Response> {
  const signature = signInternalRequest(opts.secret ?? GATEWAY_SECRET, { method, path, body }, (opts.at ?? Date.now()) / 1000);
  return fetch(`${base}${path}`, { method, headers: { [INTERNAL_SIGNATURE_HEADER]: signature, "content-type": "application/json" }, body: method === "POST" ? (opts.bodySent ?? body) : undefined });
}
const move = (id: string, from: string, to: string) => signed("POST", `/internal/routing/customers/${id}/move`, JSON.stringify({ from_region: from, to_region: to }));
const regionOf = async (id: string) => (await h.db.db.select().from(customerRouting).where(eq(customerRouting.customerId, id)))[0]?.primaryRegionId;

beforeAll(async () => {
  fi = await startFakeRegion("FI-HEL");
  de = await startFakeRegion("DE-FRA");
  h = await startRouter(topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }, { regionId: "DE-FRA", url: de.url, country: "DE" }, { regionId: "US-EAST", url: fi.url, country: "US" }]));
  base = h.router.url;
  for (const id of ["mover", "stayer", "retry-co"]) expect((await register(base, id, "FI-HEL")).status).toBe(201);
});
afterAll(async () => {
  await h?.stop();
  await fi?.close();
  await de?.close();
});

describe("POST /internal/routing/customers/:id/move", () => {
  it("switches the routing compare-and-set, logs the move, and routes the next request to the target", async () => {
    const res = await move("mover", "FI-HEL", "DE-FRA");
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ customer_id: "mover", primary_region: "DE-FRA", previous_region: "FI-HEL", switched: true });
    expect(await regionOf("mover")).toBe("DE-FRA");
    const logged = await h.db.db.select().from(routingLog).where(and(eq(routingLog.customerId, "mover"), eq(routingLog.method, "MOVE")));
    expect(logged.map((r) => r.regionId)).toEqual(["DE-FRA"]);
    const before = de.seen.length;
    const routed = await fetch(`${base}/some-bucket/k`, { headers: { "x-customer-id": "mover" } });
    await routed.arrayBuffer();
    expect(de.seen.length).toBe(before + 1);
  });

  it("is idempotent for a retried switch and refused for any region but the current one", async () => {
    expect((await move("retry-co", "FI-HEL", "DE-FRA")).status).toBe(200);
    const again = await move("retry-co", "FI-HEL", "DE-FRA");
    expect(again.status).toBe(200);
    expect((await json(again)).switched).toBe(false);
    // DE-FRA is not where "stayer" lives: it may not hand it anywhere.
    const wrong = await move("stayer", "DE-FRA", "US-EAST");
    expect(wrong.status).toBe(409);
    expect((await json(wrong)).error.message).toMatch(/routed to FI-HEL, not to DE-FRA/);
    expect(await regionOf("stayer")).toBe("FI-HEL");
  });

  it("refuses unknown customers and regions, the same region, and bad bodies", async () => {
    expect((await move("nobody", "FI-HEL", "DE-FRA")).status).toBe(404);
    expect((await move("stayer", "FI-HEL", "XX-NOPE")).status).toBe(400);
    expect((await move("stayer", "FI-HEL", "FI-HEL")).status).toBe(400);
    const extra = await signed("POST", "/internal/routing/customers/stayer/move", JSON.stringify({ from_region: "FI-HEL", to_region: "DE-FRA", extra: 1 }));
    expect(extra.status).toBe(400);
    expect((await signed("POST", "/internal/routing/customers/stayer/move", "not json")).status).toBe(400);
    expect(await regionOf("stayer")).toBe("FI-HEL");
  });

  it("refuses unsigned, mis-signed, stale and tampered requests", async () => {
    const body = JSON.stringify({ from_region: "FI-HEL", to_region: "DE-FRA" });
    const path = "/internal/routing/customers/stayer/move";
    expect((await fetch(`${base}${path}`, { method: "POST", body })).status).toBe(401);
    expect((await signed("POST", path, body, { secret: "another-secret-0123456789abcdef0123456789" })).status).toBe(401);
    expect((await signed("POST", path, body, { at: Date.now() - 10 * 60_000 })).status).toBe(401);
    // Signed for FI-HEL → FI-HEL … sent as a move to DE-FRA.
    expect((await signed("POST", path, JSON.stringify({ from_region: "FI-HEL", to_region: "FI-HEL" }), { bodySent: body })).status).toBe(401);
    expect(await regionOf("stayer")).toBe("FI-HEL");
  });
});

describe("GET /internal/regions/:id", () => {
  it("tells a region another's country and gateways, signed only", async () => {
    const res = await signed("GET", "/internal/regions/DE-FRA");
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ region_id: "DE-FRA", country: "DE", legal_zone: "EU", endpoints: [de.url] });
    expect((await signed("GET", "/internal/regions/XX-NOPE")).status).toBe(404);
    expect((await signed("GET", "/internal/regions/bad%20id")).status).toBe(400);
    expect((await fetch(`${base}/internal/regions/DE-FRA`)).status).toBe(401);
  });
});
