// Every refused request leaves an operations_log row, whatever was wrong with it: unknown or
// hostile access keys, malformed or presigned SigV4, forged router proofs, bad bearer tokens.
import http from "node:http";
import { FORWARDED_PROOF_HEADER, ROUTED_CUSTOMER_HEADER } from "@s3gw/core";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintToken, startTestRegion, type TestRegion } from "../harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let seq = 0;
let auditorToken: string;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  auditorToken = await mintToken(fi.url, "auditor", "auditor");
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

/** Raw node:http, so every header is exactly what an attacker sends. */
function send(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; requestId: string }> {
  const requestId = `DENIAL${String(++seq).padStart(6, "0")}`;
  return new Promise((resolve, reject) => {
    const r = http.request(`${fi.url}${path}`, { method, headers: { "x-request-id": requestId, ...headers }, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, requestId }));
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end();
  });
}

const amzDate = () => new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
const sigv4 = (keyId: string) =>
  `AWS4-HMAC-SHA256 Credential=${keyId}/${amzDate().slice(0, 8)}/eu-north-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${"ab".repeat(32)}`;
const signedHeaders = (keyId: string) => ({ authorization: sigv4(keyId), "x-amz-date": amzDate(), "x-amz-content-sha256": "UNSIGNED-PAYLOAD" });

const cases: [string, string, string, Record<string, string>][] = [
  ["management API without a token", "GET", "/api/audit/operations", {}],
  ["management API with an unknown token", "GET", "/api/audit/operations", { authorization: "Bearer s3gw_not_a_real_token_0123456789" }],
  ["management API with a malformed Authorization header", "GET", "/api/customers/acme-corp", { authorization: "Basic YWRtaW46YWRtaW4=" }],
  ["management API with a huge token", "GET", "/api/audit/operations", { authorization: `Bearer ${"A".repeat(6000)}` }],
  ["management API with a token of the wrong role", "POST", "/api/audit/checkpoints", { authorization: "AUDITOR" }],
  ["S3 with an unknown access key", "GET", "/s3/documents/a.txt", signedHeaders("S3GWAAAAAAAAAAAAAAAA")],
  ["S3 with a hostile access key id", "GET", "/s3/documents", signedHeaders("../../etc%00'\";--")],
  ["S3 with a malformed SigV4 header", "PUT", "/s3/documents/x", { authorization: "AWS4-HMAC-SHA256 Credential=garbage" }],
  ["S3 presigned with an unknown key", "GET", `/s3/documents/a.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=S3GWBBBBBBBBBBBBBBBB%2F${amzDate().slice(0, 8)}%2Feu-north-1%2Fs3%2Faws4_request&X-Amz-Date=${amzDate()}&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=${"cd".repeat(32)}`, {}],
  ["S3 at the root path with an unknown access key", "GET", "/documents/a.txt", signedHeaders("S3GWCCCCCCCCCCCCCCCC")],
  ["a forged router proof", "GET", "/s3/documents", { "x-customer-id": "acme-corp", [ROUTED_CUSTOMER_HEADER]: "acme-corp", "x-forwarded-for": "203.0.113.9", [FORWARDED_PROOF_HEADER]: `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` }],
  ["a malformed router proof", "GET", "/documents", { "x-customer-id": "acme-corp", [ROUTED_CUSTOMER_HEADER]: "acme-corp", [FORWARDED_PROOF_HEADER]: "trust me" }],
];

describe("every denial is logged", () => {
  for (const [name, method, path, headers] of cases) {
    it(name, async () => {
      const h = headers.authorization === "AUDITOR" ? { ...headers, authorization: `Bearer ${auditorToken}` } : headers;
      const res = await send(method, path, h);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const rows = await sql`select result, status_code from operations_log where request_id = ${res.requestId}`;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status_code: res.status, result: res.status === 401 || res.status === 403 ? "denied" : "error" });
    });
  }

  it("and the chain still verifies afterwards", async () => {
    const [{ n }] = (await sql`select count(*)::int as n from operations_log where request_id like 'DENIAL%'`) as unknown as [{ n: number }];
    expect(n).toBe(cases.length);
    const report = await fetch(`${fi.url}/api/audit/verify`, { headers: { authorization: `Bearer ${auditorToken}` } });
    expect(await report.json()).toMatchObject({ intact: true });
  });
});
