import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrapeMetrics } from "../../../test/support/prometheus.ts";
import { registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let de: TestRegion;
let sql: postgres.Sql;

beforeAll(async () => {
  [fi, de] = await Promise.all([startTestRegion("FI-HEL"), startTestRegion("DE-FRA")]);
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  await registerWithBuckets(fi.url, "acme-corp", ["documents"]);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
  await de?.destroy();
});

describe("GET /metrics", () => {
  it("is open, parses as Prometheus exposition and declares the gateway's metrics", async () => {
    const m = await scrapeMetrics(fi.url);
    expect(m.types.get("s3gw_requests_total")).toBe("counter");
    expect(m.types.get("s3gw_request_duration_seconds")).toBe("histogram");
    expect(m.types.get("s3gw_bytes_in_total")).toBe("counter");
    expect(m.types.get("s3gw_bytes_out_total")).toBe("counter");
    expect(m.types.get("s3gw_audit_queue_depth")).toBe("gauge");
    expect(m.types.get("process_cpu_user_seconds_total")).toBe("counter");
    expect(m.samples.find((s) => s.name === "s3gw_audit_queue_depth")).toMatchObject({ labels: { region: "FI-HEL" } });
    expect(m.value("s3gw_requests_total", { operation: "CreateBucket", status: "200" })).toBe(1);
  });

  it("counts requests, latencies and bytes by operation and status", async () => {
    const acme = s3(fi.url, "acme-corp");
    const before = await scrapeMetrics(fi.url);
    for (const k of ["a", "b", "c"]) expect((await acme(`/documents/${k}.txt`, { method: "PUT", body: "0123456789" })).status).toBe(200);
    for (const k of ["a", "b"]) expect((await acme(`/documents/${k}.txt`)).status).toBe(200);
    expect((await acme("/documents/a.txt", { headers: { range: "bytes=0-3" } })).status).toBe(206);
    expect((await acme("/documents/missing.txt")).status).toBe(404);
    const after = await scrapeMetrics(fi.url);
    const delta = (name: string, labels?: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    expect(delta("s3gw_requests_total", { operation: "PutObject", status: "200" })).toBe(3);
    expect(delta("s3gw_requests_total", { operation: "GetObject", status: "200" })).toBe(2);
    expect(delta("s3gw_requests_total", { operation: "GetObject", status: "206" })).toBe(1);
    expect(delta("s3gw_requests_total", { operation: "GetObject", status: "404" })).toBe(1);
    expect(delta("s3gw_request_duration_seconds_count", { operation: "PutObject", status: "200" })).toBe(3);
    expect(delta("s3gw_request_duration_seconds_bucket", { operation: "PutObject", status: "200", le: "+Inf" })).toBe(3);
    expect(delta("s3gw_request_duration_seconds_sum", { operation: "PutObject", status: "200" })).toBeGreaterThan(0);
    expect(delta("s3gw_bytes_in_total")).toBe(30);
    expect(delta("s3gw_bytes_out_total")).toBe(24);
  });

  it("is not itself audited or counted, and carries no customer data", async () => {
    const m = await scrapeMetrics(fi.url);
    expect(m.text).not.toContain("acme-corp");
    expect(m.text).not.toContain("documents");
    expect(m.samples.filter((s) => s.name === "s3gw_requests_total").every((s) => Object.keys(s.labels).sort().join() === "operation,region,status")).toBe(true);
    expect(m.value("s3gw_requests_total", { operation: "GetMetrics" })).toBe(0);
    const [row] = await sql`select count(*)::int as n from operations_log where operation_type = 'GetMetrics'`;
    expect(row!.n).toBe(0);
  });

  it("keeps one registry per gateway: two gateways in one process count apart", async () => {
    const m = await scrapeMetrics(de.url);
    expect(m.value("s3gw_requests_total")).toBe(0);
    expect(m.samples.find((s) => s.name === "s3gw_audit_queue_depth")?.labels.region).toBe("DE-FRA");
    expect((await scrapeMetrics(fi.url)).value("s3gw_requests_total")).toBeGreaterThan(0);
  });
});
