import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, startTestRegion, type TestRegion } from "./harness.ts";

// Registration is coherent with the home region: a strict customer's country is the region's
// country, a jurisdiction customer's legal zone the region's zone. And a region without a
// router to confirm the customer's home registers nobody unless it is explicitly standalone.

let fi: TestRegion;
let de: TestRegion;
let us: TestRegion;

beforeAll(async () => {
  [fi, de, us] = await Promise.all([startTestRegion("FI-HEL"), startTestRegion("DE-FRA"), startTestRegion("US-EAST")]);
});
afterAll(async () => {
  await Promise.all([fi?.destroy(), de?.destroy(), us?.destroy()]);
});

async function refused(region: TestRegion, id: string, profile: Record<string, unknown>, pattern: RegExp) {
  const res = await register(region.url, id, profile);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(res.status, body.error?.message).toBe(400);
  expect(body.error.code).toBe("BAD_REQUEST");
  expect(body.error.message).toMatch(pattern);
  const sql = postgresClient(region.databaseUrl, { max: 1 });
  try {
    expect(await sql`select 1 from customers where customer_id = ${id}`).toHaveLength(0);
  } finally {
    await sql.end();
  }
}

describe("registration coherence", () => {
  it("refuses a strict customer whose country is not the home region's, naming both", async () => {
    await refused(de, "fin-strict", { country: "Finland", data_residency_requirement: "strict" }, /country mismatch.*FI.*DE-FRA is in DE/);
    await refused(us, "de-strict", { country: "DE", data_residency_requirement: "strict" }, /country mismatch.*DE.*US-EAST is in US/);
  });

  it("refuses a jurisdiction customer whose legal zone is not the home region's, naming both", async () => {
    await refused(us, "eu-misplaced", { customer_name: "EU Corp", country: "Germany", data_residency_requirement: "jurisdiction" }, /legal zone mismatch.*EU.*US-EAST is in US/);
    await refused(fi, "us-in-eu", { country: "US", data_residency_requirement: "jurisdiction" }, /legal zone mismatch.*US.*FI-HEL is in EU/);
  });

  it("accepts what the region can honour (the refusals above are about coherence)", async () => {
    expect((await register(fi.url, "fin-strict", { country: "Finland", data_residency_requirement: "strict" })).status).toBe(201);
    expect((await register(fi.url, "de-in-fi", { country: "Germany", data_residency_requirement: "jurisdiction" })).status).toBe(201);
    expect((await register(de.url, "fi-in-de", { country: "FI", data_residency_requirement: "jurisdiction" })).status).toBe(201);
    expect((await register(us.url, "anywhere", { country: "Germany", data_residency_requirement: "flexible" })).status).toBe(201);
    expect((await register(us.url, "us-strict", { country: "United States", data_residency_requirement: "strict" })).status).toBe(201);
  });
});

describe("a region without a global router", () => {
  it("registers nobody unless ALLOW_STANDALONE_REGISTRATION is set", async () => {
    const lone = await startTestRegion("FI-HEL", { allowStandaloneRegistration: false });
    try {
      const res = await register(lone.url, "acme-corp");
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("HOME_REGION_UNCONFIRMED");
      expect(body.error.message).toMatch(/GLOBAL_ROUTER_URL.*ALLOW_STANDALONE_REGISTRATION/);
      const sql = postgresClient(lone.databaseUrl, { max: 1 });
      expect(await sql`select 1 from customers`).toHaveLength(0);
      await sql.end();
    } finally {
      await lone.destroy();
    }
  });

  it("answers 503 when the configured router cannot be reached, storing nothing", async () => {
    const cut = await startTestRegion("FI-HEL", { globalRouterUrl: "http://127.0.0.1:1" });
    try {
      const res = await register(cut.url, "acme-corp");
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/cannot confirm customer acme-corp's home region/);
      const sql = postgresClient(cut.databaseUrl, { max: 1 });
      expect(await sql`select 1 from customers`).toHaveLength(0);
      await sql.end();
    } finally {
      await cut.destroy();
    }
  });
});
