import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, s3, startTestRegion, type TestRegion } from "./harness.ts";

interface Sample { name: string; labels: Record<string, string>; value: number }

/** A strict reader of the Prometheus text format: any line it cannot parse fails the test. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") types.set(meta[2]!, meta[3]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus exposition: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of m[2] ? m[2].match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? [] : []) {
      const eq = pair.indexOf("=");
      labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1);
    }
    // Go's ParseFloat, as Prometheus uses it: NaN in any case, ±Inf.
    const raw = m[3]!;
    const value = /^nan$/i.test(raw) ? NaN : /^[+-]?inf$/i.test(raw) ? (raw.startsWith("-") ? -Infinity : Infinity) : Number(raw);
    if (Number.isNaN(value) && !/^nan$/i.test(raw)) throw new Error(`bad sample value: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const parsed = parseExposition(text);
  const value = (name: string, labels: Record<string, string> = {}) =>
    parsed.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
  return { text, ...parsed, value };
}

let fi: TestRegion;
let de: TestRegion;
let sql: postgres.Sql;

beforeAll(async () => {
  [fi, de] = await Promise.all([startTestRegion("FI-HEL"), startTestRegion("DE-FRA")]);
  sql = postgres(fi.databaseUrl, { max: 1, onnotice: () => {} });
  expect((await register(fi.url, "acme-corp")).status).toBe(201);
  expect((await s3(fi.url, "acme-corp")("/documents", { method: "PUT" })).status).toBe(200);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
  await de?.destroy();
});

describe("GET /metrics", () => {
  it("is open, parses as Prometheus exposition and declares the gateway's metrics", async () => {
    const m = await scrape(fi.url);
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
    const before = await scrape(fi.url);
    for (const k of ["a", "b", "c"]) expect((await acme(`/documents/${k}.txt`, { method: "PUT", body: "0123456789" })).status).toBe(200);
    for (const k of ["a", "b"]) expect((await acme(`/documents/${k}.txt`)).status).toBe(200);
    expect((await acme("/documents/a.txt", { headers: { range: "bytes=0-3" } })).status).toBe(206);
    expect((await acme("/documents/missing.txt")).status).toBe(404);
    const after = await scrape(fi.url);
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
    const m = await scrape(fi.url);
    expect(m.text).not.toContain("acme-corp");
    expect(m.text).not.toContain("documents");
    expect(m.samples.filter((s) => s.name === "s3gw_requests_total").every((s) => Object.keys(s.labels).sort().join() === "operation,region,status")).toBe(true);
    expect(m.value("s3gw_requests_total", { operation: "GetMetrics" })).toBe(0);
    const [row] = await sql`select count(*)::int as n from operations_log where operation_type = 'GetMetrics'`;
    expect(row!.n).toBe(0);
  });

  it("keeps one registry per gateway: two gateways in one process count apart", async () => {
    const m = await scrape(de.url);
    expect(m.value("s3gw_requests_total")).toBe(0);
    expect(m.samples.find((s) => s.name === "s3gw_audit_queue_depth")?.labels.region).toBe("DE-FRA");
    expect((await scrape(fi.url)).value("s3gw_requests_total")).toBeGreaterThan(0);
  });
});
