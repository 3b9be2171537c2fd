import http from "node:http";
import { FORWARDED_PROOF_HEADER, ROUTED_CUSTOMER_HEADER, signForwardedRequest } from "@s3gw/core";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, startTestRegion, TEST_GATEWAY_SECRET, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let seq = 0;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  expect((await register(fi.url, "acme-corp")).status).toBe(201);
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

interface Forwarded {
  path: string;
  method?: string;
  forwardedFor?: string;
  routedCustomer?: string;
  /** Defaults to a proof over exactly this request with the shared secret. */
  proof?: string | null;
}

/** A request as the global router would send it (plain node:http, so every header is ours to set). */
function send(req: Forwarded): Promise<{ status: number; body: string; requestId: string }> {
  const requestId = `FWDPROOF${String(++seq).padStart(4, "0")}`;
  const method = req.method ?? "GET";
  const fields = {
    method,
    pathAndQuery: req.path,
    forwardedFor: req.forwardedFor ?? "",
    forwardedHost: "s3.example.com",
    forwardedProto: "https",
    routedCustomerId: req.routedCustomer ?? "acme-corp",
    sourceCountry: "",
  };
  const proof = req.proof === undefined ? signForwardedRequest(TEST_GATEWAY_SECRET, fields, Date.now() / 1000) : req.proof;
  const headers: Record<string, string> = {
    "x-customer-id": "acme-corp",
    "x-request-id": requestId,
    "x-forwarded-host": fields.forwardedHost,
    "x-forwarded-proto": fields.forwardedProto,
    [ROUTED_CUSTOMER_HEADER]: fields.routedCustomerId,
    ...(req.forwardedFor !== undefined ? { "x-forwarded-for": req.forwardedFor } : {}),
    ...(proof !== null ? { [FORWARDED_PROOF_HEADER]: proof } : {}),
  };
  return new Promise((resolve, reject) => {
    const r = http.request(`${fi.url}${req.path}`, { method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString(), requestId }));
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end();
  });
}

async function auditRow(requestId: string) {
  const [row] = await sql`select operation_type, status_code, source_ip, compliance_info from operations_log where request_id = ${requestId}`;
  return row!;
}

describe("forwarding proof from the global router", () => {
  it("believes x-forwarded-for with a valid proof: the entry the router appended is the source", async () => {
    const res = await send({ path: "/s3", forwardedFor: "198.51.100.1, 203.0.113.7" });
    expect(res.status).toBe(200);
    expect(await auditRow(res.requestId)).toMatchObject({ operation_type: "ListBuckets", source_ip: "203.0.113.7" });
  });

  it("checks the proof on the root S3 path as well", async () => {
    const ok = await send({ path: "/?x-id=ListBuckets", forwardedFor: "203.0.113.8" });
    expect(ok.status).toBe(200);
    expect((await auditRow(ok.requestId)).source_ip).toBe("203.0.113.8");
    const forged = await send({ path: "/", forwardedFor: "203.0.113.8", proof: `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` });
    expect(forged.status).toBe(403);
  });

  it("ignores x-forwarded-for without a proof and records the socket address", async () => {
    const res = await send({ path: "/s3", forwardedFor: "203.0.113.7", proof: null });
    expect(res.status).toBe(200);
    expect((await auditRow(res.requestId)).source_ip).toBe("127.0.0.1");
  });

  it("refuses, and logs, a proof that is present but wrong", async () => {
    const now = Date.now() / 1000;
    const base = { method: "GET", pathAndQuery: "/s3/documents", forwardedFor: "203.0.113.7", forwardedHost: "s3.example.com", forwardedProto: "https", routedCustomerId: "acme-corp", sourceCountry: "" };
    const cases: Forwarded[] = [
      // Another secret.
      { path: "/s3/documents", forwardedFor: "203.0.113.7", proof: signForwardedRequest("x".repeat(40), base, now) },
      // Signed for another path, another client address, another customer.
      { path: "/s3/documents", forwardedFor: "203.0.113.7", proof: signForwardedRequest(TEST_GATEWAY_SECRET, { ...base, pathAndQuery: "/s3/other" }, now) },
      { path: "/s3/documents", forwardedFor: "198.51.100.66", proof: signForwardedRequest(TEST_GATEWAY_SECRET, base, now) },
      { path: "/s3/documents", forwardedFor: "203.0.113.7", routedCustomer: "globex", proof: signForwardedRequest(TEST_GATEWAY_SECRET, base, now) },
      // Outside the five-minute window, and malformed.
      { path: "/s3/documents", forwardedFor: "203.0.113.7", proof: signForwardedRequest(TEST_GATEWAY_SECRET, base, now - 301) },
      { path: "/s3/documents", forwardedFor: "203.0.113.7", proof: "trust me" },
    ];
    for (const c of cases) {
      const res = await send(c);
      expect(res.status).toBe(403);
      expect(res.body).toContain("<Code>AccessDenied</Code>");
      const row = await auditRow(res.requestId);
      expect(row).toMatchObject({ operation_type: "VerifyForwardingProof", status_code: 403, source_ip: "127.0.0.1" });
      expect(row.compliance_info).toMatchObject({ reason: "invalid_forwarding_proof" });
    }
    // The same request with a correct proof goes through.
    expect((await send({ path: "/s3/documents", forwardedFor: "203.0.113.7", proof: undefined })).status).toBe(404);
  });

  it("accepts no proof at all when the region has no shared secret", async () => {
    fi.deps.config.gatewaySharedSecret = undefined;
    try {
      const res = await send({ path: "/s3", forwardedFor: "203.0.113.7" });
      expect(res.status).toBe(200);
      expect((await auditRow(res.requestId)).source_ip).toBe("127.0.0.1");
    } finally {
      fi.deps.config.gatewaySharedSecret = TEST_GATEWAY_SECRET;
    }
  });
});
