import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unservedCustomerReason } from "../../apps/regional-gateway/src/services/access/customers.ts";
import { adminAuth, register, startTestRegion } from "../../apps/regional-gateway/test/harness.ts";
import { startStack, type RegionId, type TestStack } from "../support/stack.ts";

// A region registers only customers the global router homes in it, asked over the signed
// internal channel. Once, a strict Finnish customer's profile was stored in DE-FRA, and
// customers that were never routed were registered too.

let stack: TestStack;

const route = async (id: string, region: RegionId) => {
  const res = await fetch(`${stack.global.url}/routing/customers/${id}?region_id=${region}`, { method: "POST", headers: adminAuth });
  expect(res.status).toBe(201);
};

async function stored(region: RegionId, id: string): Promise<boolean> {
  const sql = postgresClient(stack.regions[region].databaseUrl, { max: 1 });
  try {
    return (await sql`select 1 from customers where customer_id = ${id}`).length > 0;
  } finally {
    await sql.end();
  }
}

async function error(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: body.error?.code, message: body.error?.message };
}

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe("registration is confirmed with the global router", () => {
  it("refuses a customer the router homes in another region, and registers it at home", async () => {
    await route("fin-strict", "FI-HEL");
    // Coherent for DE-FRA (jurisdiction, EU), so only the router can tell that it is not homed there.
    const elsewhere = await error(await register(stack.regions["DE-FRA"].url, "fin-strict", { country: "Finland", data_residency_requirement: "jurisdiction" }));
    expect(elsewhere).toMatchObject({ status: 409, code: "CUSTOMER_HOMED_ELSEWHERE" });
    expect(elsewhere.message).toMatch(/homed in FI-HEL, not DE-FRA/);
    expect(await stored("DE-FRA", "fin-strict")).toBe(false);
    expect((await register(stack.regions["FI-HEL"].url, "fin-strict", { country: "Finland", data_residency_requirement: "strict" })).status).toBe(201);
    expect(await stored("FI-HEL", "fin-strict")).toBe(true);
  });

  it("refuses a customer that was never routed", async () => {
    const never = await error(await register(stack.regions["FI-HEL"].url, "never-routed"));
    expect(never).toMatchObject({ status: 409, code: "CUSTOMER_NOT_ROUTED" });
    expect(never.message).toMatch(/POST \/routing\/customers\/never-routed\?region_id=FI-HEL/);
    expect(await stored("FI-HEL", "never-routed")).toBe(false);
  });

  it("answers 503 when the router refuses the region's signature, storing nothing", async () => {
    await route("wrong-secret-co", "FI-HEL");
    const impostor = await startTestRegion("FI-HEL", { globalRouterUrl: stack.global.url, gatewaySharedSecret: "another-secret-that-is-long-enough-0123456789" });
    try {
      const res = await error(await register(impostor.url, "wrong-secret-co"));
      expect(res).toMatchObject({ status: 503, code: "SERVICE_UNAVAILABLE" });
      expect(res.message).toMatch(/router answered 401/);
    } finally {
      await impostor.destroy();
    }
  });

  it("tells a routed but unregistered customer so (the reason the S3 denial gives)", async () => {
    await route("routed-only", "FI-HEL");
    const fi = stack.regions["FI-HEL"].deps;
    expect(await unservedCustomerReason(fi, "routed-only", { routedHere: false })).toMatchObject({ reason: "not_registered", message: expect.stringMatching(/routed to region FI-HEL but not registered/) });
    expect(await unservedCustomerReason(fi, "routed-only", { routedHere: true })).toMatchObject({ reason: "not_registered" });
    expect(await unservedCustomerReason(stack.regions["DE-FRA"].deps, "routed-only", { routedHere: false })).toMatchObject({ reason: "homed_elsewhere", message: "Customer routed-only is not homed in region DE-FRA" });
    expect(await unservedCustomerReason(fi, "nobody-at-all", { routedHere: false })).toMatchObject({ reason: "not_routed" });
  });
});
