import pino from "pino";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRegionalGateway, type RunningGateway } from "../src/start.ts";
import { adminAuth, register, s3, startTestRegion, type TestRegion } from "./harness.ts";

// The gateway's clock is pinned so the hour windows under test are known, not the wall clock's.
let now = Date.parse("2026-11-23T10:05:00.000Z");
const clock = { now: () => new Date(now) };

let de: TestRegion;
let second: RunningGateway | undefined;
let sql: postgres.Sql;

const rules = (threshold: number) => ({
  allowed_content_types: null,
  max_object_size_bytes: null,
  reject_duplicate_content: false,
  block_cross_border_access: false,
  anomaly_threshold_per_hour: threshold,
});

async function anomalies(customerId: string) {
  return sql`select severity, dedupe_key, details, resolved_at from compliance_events where customer_id = ${customerId} and event_type = 'unusual_activity' order by created_at`;
}
async function opsOf(customerId: string): Promise<number> {
  const [row] = await sql`select count(*)::int as n from operations_log where customer_id = ${customerId}`;
  return row!.n as number;
}

beforeAll(async () => {
  de = await startTestRegion("DE-FRA");
  de.deps.clock = clock;
  sql = postgresClient(de.databaseUrl, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await second?.close();
  await de?.destroy();
});

describe("anomaly threshold", () => {
  it("raises exactly one unusual_activity event when a customer exceeds its threshold in an hour", async () => {
    expect((await register(de.url, "busy-co", { country: "DE" })).status).toBe(201);
    const put = await fetch(`${de.url}/api/customers/busy-co/rules`, { method: "PUT", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify(rules(5)) });
    expect(put.status).toBe(200);
    const busy = s3(de.url, "busy-co");
    expect((await busy("/logs", { method: "PUT" })).status).toBe(200);
    expect((await busy("/logs/1", { method: "PUT", body: "1" })).status).toBe(200);
    expect((await busy("/logs/1")).status).toBe(200);
    // Register, rules, bucket, put, get: five operations, at the threshold but not over it.
    expect(await opsOf("busy-co")).toBe(5);
    expect(await anomalies("busy-co")).toHaveLength(0);

    expect((await busy("/logs/2", { method: "PUT", body: "2" })).status).toBe(200);
    expect((await busy("/logs/missing")).status).toBe(404);
    expect((await busy("/logs?list-type=2")).status).toBe(200);
    expect(await opsOf("busy-co")).toBe(8);
    const events = await anomalies("busy-co");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ severity: "medium", dedupe_key: "anomaly:busy-co:2026-11-23T10:00:00.000Z", resolved_at: null });
    expect(events[0]!.details).toMatchObject({ threshold_per_hour: 5, observed_operations: 6, window_start: "2026-11-23T10:00:00.000Z", window_end: "2026-11-23T11:00:00.000Z" });
  });

  it("leaves customers under the default threshold of 100 alone", async () => {
    expect((await register(de.url, "calm-co", { country: "DE" })).status).toBe(201);
    const calm = s3(de.url, "calm-co");
    for (let i = 0; i < 10; i++) expect((await calm("/")).status).toBe(200);
    expect(await anomalies("calm-co")).toHaveLength(0);
  });

  it("raises again in the next hour window, once", async () => {
    now = Date.parse("2026-11-23T11:20:00.000Z");
    const busy = s3(de.url, "busy-co");
    for (let i = 0; i < 5; i++) expect((await busy("/")).status).toBe(200);
    expect(await anomalies("busy-co")).toHaveLength(1);
    for (let i = 0; i < 4; i++) expect((await busy("/")).status).toBe(200);
    expect((await anomalies("busy-co")).map((e) => e.dedupe_key)).toEqual([
      "anomaly:busy-co:2026-11-23T10:00:00.000Z",
      "anomaly:busy-co:2026-11-23T11:00:00.000Z",
    ]);
  });

  it("counts operations across gateway instances sharing the region's database", async () => {
    now = Date.parse("2026-11-23T12:01:00.000Z");
    second = await startRegionalGateway({ ...de.deps.config, port: 0 }, { clock, logger: pino({ level: "silent" }) });
    const viaFirst = s3(de.url, "busy-co");
    const viaSecond = s3(second.url, "busy-co");
    // Neither instance alone sees more than 5 operations in this window; together they see 8.
    for (let i = 0; i < 4; i++) {
      expect((await viaFirst("/")).status).toBe(200);
      expect((await viaSecond("/")).status).toBe(200);
    }
    const keys = (await anomalies("busy-co")).map((e) => e.dedupe_key);
    expect(keys).toHaveLength(3);
    expect(keys[2]).toBe("anomaly:busy-co:2026-11-23T12:00:00.000Z");
  });
});
