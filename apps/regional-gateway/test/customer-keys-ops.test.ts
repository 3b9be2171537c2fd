import { postgresClient } from "@s3gw/db";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyApi, keysPath, kmsOutcome } from "./customer-keys-helpers.ts";
import { adminAuth, register, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  expect((await register(fi.url, "acme-corp")).status).toBe(201);
  const dk = await fi.deps.keys.generateDataKey({ customerId: "acme-corp" });
  await fi.deps.keys.decryptDataKey({ customerId: "acme-corp", ...dk });
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("customer keys in operations", () => {
  it("shows keys by state on the ops dashboard", async () => {
    const text = await (await fetch(`${fi.url}/ops/dashboard`, { headers: { ...adminAuth, accept: "text/plain" } })).text();
    expect(text).toMatch(/^ {2}customer keys {4}\d+ enabled, \d+ disabled, \d+ pending deletion, \d+ destroyed; 0 crypto-shreds pending$/m);
    const d = (await (await fetch(`${fi.url}/ops/dashboard`, { headers: { ...adminAuth, accept: "application/json" } })).json()) as { compliance: { keys: Record<string, number> } };
    const [counted] = await sql`select count(*) filter (where state = 'Enabled')::int as enabled, count(*) filter (where state = 'Disabled')::int as disabled from customer_keys`;
    expect(d.compliance.keys).toMatchObject({ enabled: counted!.enabled, disabled: counted!.disabled, shreds_pending: 0 });
  });

  it("counts keys by state and data keys in /metrics", async () => {
    const text = await (await fetch(`${fi.url}/metrics`)).text();
    expect(text).toMatch(/s3gw_customer_keys\{state="Enabled",region="FI-HEL"\} \d+/);
    expect(text).toMatch(/s3gw_data_keys_total\{operation="generate",region="FI-HEL"\} [1-9]/);
    expect(text).toMatch(/s3gw_data_keys_total\{operation="decrypt",region="FI-HEL"\} [1-9]/);
  });
});

describe("a region without master keys", () => {
  it("creates no customer keys (503) and generates no data keys", async () => {
    const bare = await startTestRegion("DE-FRA", { masterKeys: undefined });
    try {
      expect((await register(bare.url, "bare-co", { country: "Germany", compliance_requirements: ["GDPR"] })).status).toBe(201);
      const res = await keyApi(bare.url, keysPath("bare-co"), { body: {} });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("SERVICE_UNAVAILABLE");
      expect(await kmsOutcome(bare.deps.keys.generateDataKey({ customerId: "bare-co" }))).toBe("ServiceUnavailable");
    } finally {
      await bare.destroy();
    }
  });
});
