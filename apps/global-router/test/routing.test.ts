import { customerRouting } from "@s3gw/schema-global";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, json, register, startFakeRegion, startRouter, topologyOf, type FakeRegion, type RouterHarness } from "./helpers.ts";

describe("routing API", () => {
  let fi: FakeRegion;
  let de: FakeRegion;
  let h: RouterHarness;
  let base: string;

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    de = await startFakeRegion("DE-FRA");
    h = await startRouter(
      topologyOf([
        { regionId: "FI-HEL", url: fi.url, country: "FI" },
        { regionId: "DE-FRA", url: de.url, country: "DE" },
      ]),
    );
    base = h.router.url;
  });
  afterAll(async () => {
    await h?.stop();
    await fi?.close();
    await de?.close();
  });

  it("registers a customer in a region (201) and routes it at once", async () => {
    const res = await register(base, "acme-corp", "FI-HEL");
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({ customer_id: "acme-corp", primary_region: "FI-HEL", regional_endpoint: fi.url });
    expect(typeof body.note).toBe("string");
    const s3 = await fetch(`${base}/s3/documents`, { headers: { "x-customer-id": "acme-corp" } });
    expect(s3.status).toBe(200);
    expect((await json(s3)).region).toBe("FI-HEL");
  });

  it("refuses a second registration of the same customer (409), keeping the first", async () => {
    const res = await register(base, "acme-corp", "DE-FRA");
    expect(res.status).toBe(409);
    const body = await json(res);
    expect(body.error.code).toBe("CONFLICT");
    expect(body.error.requestId).toBeTruthy();
    const view = await json(await fetch(`${base}/routing/customers/acme-corp`, { headers: adminAuth }));
    expect(view.primary_region).toBe("FI-HEL");
  });

  it("refuses an unknown region (400)", async () => {
    const res = await register(base, "globex", "XX-NOPE");
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe("BAD_REQUEST");
  });

  it("refuses a missing or malformed region id (400)", async () => {
    for (const url of [`${base}/routing/customers/globex`, `${base}/routing/customers/globex?region_id=fi hel`]) {
      const res = await fetch(url, { method: "POST", headers: adminAuth });
      expect(res.status).toBe(400);
      expect((await json(res)).error.code).toBe("BAD_REQUEST");
    }
  });

  it("refuses malformed customer ids (400)", async () => {
    for (const id of ["A", "Acme", "-acme", "acme_corp", "x".repeat(64), "acme%20corp"]) {
      const res = await register(base, id, "FI-HEL");
      expect(res.status, id).toBe(400);
      expect((await json(res)).error.code).toBe("BAD_REQUEST");
    }
    const get = await fetch(`${base}/routing/customers/Bad_Id`, { headers: adminAuth });
    expect(get.status).toBe(400);
  });

  it("stores a short routing note and refuses notes that are long, carry contact data or are not JSON", async () => {
    const ok = await fetch(`${base}/routing/customers/initech?region_id=DE-FRA`, {
      method: "POST",
      headers: { "content-type": "application/json", ...adminAuth },
      body: JSON.stringify({ routing_notes: "assigned to the German region" }),
    });
    expect(ok.status).toBe(201);
    const rows = await h.db.db.select().from(customerRouting).where(eq(customerRouting.customerId, "initech"));
    expect(rows[0]?.routingNotes).toBe("assigned to the German region");

    const bad = [
      JSON.stringify({ routing_notes: "x".repeat(201) }),
      JSON.stringify({ routing_notes: "contact jane.doe@initech.example" }),
      JSON.stringify({ routing_notes: "call +358 40 123 4567" }),
      JSON.stringify({ routing_notes: 42 }),
      JSON.stringify({ customer_name: "Initech Oy" }),
      "{not json",
    ];
    for (const body of bad) {
      const res = await fetch(`${base}/routing/customers/umbrella?region_id=DE-FRA`, { method: "POST", headers: adminAuth, body });
      expect(res.status, body).toBe(400);
      expect((await json(res)).error.code).toBe("BAD_REQUEST");
    }
    const tooBig = await fetch(`${base}/routing/customers/umbrella?region_id=DE-FRA`, { method: "POST", headers: adminAuth, body: "x".repeat(10_000) });
    expect(tooBig.status).toBe(413);
    expect((await fetch(`${base}/routing/customers/umbrella`, { headers: adminAuth })).status).toBe(404);
  });

  it("answers a routing lookup in exactly the seed's shape", async () => {
    const res = await fetch(`${base}/routing/customers/acme-corp`, { headers: adminAuth });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      customer_id: "acme-corp",
      primary_region: "FI-HEL",
      regional_endpoint: fi.url,
      available_regions: ["FI-HEL", "DE-FRA"],
      note: "Detailed compliance data is stored in regional database",
    });
  });

  it("answers 404 JSON for a customer that is not routed", async () => {
    const res = await fetch(`${base}/routing/customers/nobody-here`, { headers: adminAuth });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const body = await json(res);
    expect(body.error).toMatchObject({ code: "NOT_FOUND" });
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  });

  it("holds no customer data beyond the assignment", async () => {
    const rows = await h.db.db.select().from(customerRouting);
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(["createdAt", "customerId", "primaryRegionId", "routingNotes", "updatedAt"]);
  });
});
