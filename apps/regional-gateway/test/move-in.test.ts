import { createHash, randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import { INTERNAL_SIGNATURE_HEADER, signInternalRequest } from "@s3gw/core";
import { postgresClient } from "@s3gw/db";
import { compositeSha256 } from "@s3gw/storage";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3, startTestRegion, TEST_GATEWAY_SECRET, type TestRegion } from "./harness.ts";

/**
 * The target region's side of a move, called as the source would (signed region-to-region
 * calls) and as a hostile or broken source might: a snapshot outside the residency requirement,
 * bytes that do not match their digest, a body too short or too long, a version sent twice or
 * with another digest, a region that is not the one moving the customer.
 */
let de: TestRegion;
let sql: postgres.Sql;
const sha = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");
const md5 = (b: string | Buffer) => createHash("md5").update(b).digest("hex");
const route = (from = "FI-HEL") => ({ from_region: from, to_region: "DE-FRA", nonce: randomUUID() });
const now = new Date().toISOString();

async function post(action: string, body: Record<string, unknown>, customer = "incoming") {
  const path = `/internal/moves/${customer}/${action}`;
  const text = JSON.stringify(body);
  const res = await fetch(`${de.url}${path}`, { method: "POST", headers: { "content-type": "application/json", [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(TEST_GATEWAY_SECRET, { method: "POST", path, body: text }, Date.now() / 1000) }, body: text });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function version(key: string, content: string, over: Record<string, unknown> = {}) {
  return {
    ...route(), bucket: "docs", key, version_id: `v-${key}`, version_stamp: 1, is_latest: true, size: Buffer.byteLength(content), etag: md5(content), sha256: sha(content),
    content_type: "text/plain", user_metadata: { owner: "ops" }, system_metadata: {}, tags: {}, parts_count: null, compliance_status: "compliant", legal_hold: false,
    legal_hold_reason: null, legal_hold_set_by: null, legal_hold_set_at: null, retention_mode: null, retention_until: null, processing_restricted: false,
    data_subject_id: null, data_classification: "internal", last_verified_at: null, encryption: null, parts: null, created_at: now, last_modified: now, ...over,
  };
}

async function putObject(meta: Record<string, unknown>, bytes: string | Buffer) {
  const path = "/internal/moves/incoming/object";
  const text = JSON.stringify(meta);
  const frame = Buffer.from(text);
  const res = await fetch(`${de.url}${path}`, {
    method: "PUT", body: Buffer.concat([Buffer.from(String(frame.length).padStart(10, "0")), frame, Buffer.from(bytes)]),
    headers: { [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(TEST_GATEWAY_SECRET, { method: "PUT", path, body: text }, Date.now() / 1000) },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function snapshot(over: { residency?: string; country?: string } = {}) {
  return {
    ...route(),
    profile: {
      customer_name: "Incoming Oy", country: over.country ?? "FI", legal_zone: "EU", data_residency_requirement: over.residency ?? "jurisdiction", compliance_requirements: ["GDPR"],
      primary_contact_email: "ops@incoming.example", compliance_officer_email: "dpo@incoming.example", legal_basis: null, created_at: now,
    },
    prior: { status: "active", suspendedReason: null, suspendedReads: null },
    buckets: [{ bucket_id: randomUUID(), name: "docs", versioning: "Enabled", object_lock_enabled: false, created_at: now, settings: [{ kind: "tagging", document: { project: "x" } }], lifecycle: null }],
    rules: [],
    gdpr_requests: [{
      request_id: randomUUID(), data_subject_id: "subject-1", request_type: "erasure", status: "pending", received_at: now, response_deadline: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      affected_objects: [], result: null, notes: null, requested_by: "admin", updated_at: now,
    }],
    access_keys: [{ access_key_id: "S3GWMOVEDAAAAAAAAAAA", secret: "moved-secret-0123456789abcdef", description: null, permission: "read-write", allowed_buckets: null, bypass_governance: false, status: "active", created_by: "admin", created_at: now, updated_at: now }],
    customer_keys: [],
  };
}

const tenantFiles = async () => (await readdir(de.storageDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && `${e.parentPath}/${e.name}`.includes("tenant-incoming/")).length;
const rows = async () => (await sql`select count(*)::int as n from object_metadata where customer_id = 'incoming'`)[0]!.n as number;

beforeAll(async () => {
  de = await startTestRegion("DE-FRA");
  sql = postgresClient(de.databaseUrl, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await de?.destroy();
});

describe("receiving a customer", () => {
  it("refuses a snapshot whose residency requirement this region does not satisfy", async () => {
    const strict = await post("snapshot", snapshot({ residency: "strict" }));
    expect(strict.status).toBe(403);
    expect(strict.body.error.code).toBe("DataResidencyViolation");
    expect((await sql`select count(*)::int as n from customers where customer_id = 'incoming'`)[0]!.n).toBe(0);
  });

  it("takes the snapshot: the customer is held but not served, its key sealed here", async () => {
    const res = await post("snapshot", snapshot());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ buckets: 1, bucket_settings: 1, gdpr_requests: 1, access_keys: 1 });
    const [key] = await sql`select secret_ciphertext from access_keys where access_key_id = 'S3GWMOVEDAAAAAAAAAAA'`;
    expect(key!.secret_ciphertext).not.toContain("moved-secret");
    const served = await s3(de.url, "incoming")("/docs/anything");
    expect(served.status).toBe(403);
    expect(await served.text()).toMatch(/being moved into this region/);
    // Another region's move of the same customer is not this one.
    expect((await post("snapshot", { ...snapshot(), ...route("US-EAST") })).status).toBe(409);
    expect((await post("missing", { ...route("US-EAST"), versions: [] })).status).toBe(409);
  });

  it("keeps nothing of bytes that do not match their digest, or of a body too short or too long", async () => {
    const wrong = await putObject(version("a.txt", "the real bytes"), "other bytes!!!");
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe("SHA256_MISMATCH");
    expect((await putObject(version("a.txt", "the real bytes"), "the real")).status).toBe(400);
    expect((await putObject(version("a.txt", "the real bytes"), "the real bytes and more")).status).toBe(400);
    const parts = [{ part_number: 1, size: 3, md5: md5("abc"), sha256: sha("abc") }, { part_number: 2, size: 4, md5: md5("defg"), sha256: sha("defg") }];
    const badComposite = await putObject(version("p.bin", "abcdefg", { parts, sha256: `${sha("x")}-2`, parts_count: 2, etag: "e-2" }), "abcdefg");
    expect(badComposite.status).toBe(422);
    const composite = compositeSha256(parts.map((p) => ({ sha256Hex: p.sha256 })));
    expect((await putObject(version("p.bin", "abcdefg", { parts, sha256: composite, parts_count: 2, etag: "e-2" }), "abcdefgh")).status).toBe(400);
    expect((await putObject(version("p.bin", "abcdefg", { parts, sha256: composite, parts_count: 2, etag: "e-2" }), "abcdXfg")).status).toBe(422);
    // A frame that lies about its metadata's length, or none at all.
    const path = "/internal/moves/incoming/object";
    const raw = (body: string) => fetch(`${de.url}${path}`, { method: "PUT", body, headers: { [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(TEST_GATEWAY_SECRET, { method: "PUT", path, body: "" }, Date.now() / 1000) } });
    expect((await raw("not a frame")).status).toBe(400);
    expect((await raw("9999999999{}")).status).toBe(400);
    expect((await raw("0000000100{}")).status).toBe(400);
    expect(await rows()).toBe(0);
    expect(await tenantFiles()).toBe(0);
  });

  it("stores a version once: the same again is acknowledged, another digest for it is a conflict", async () => {
    expect((await putObject(version("a.txt", "the real bytes"), "the real bytes")).status).toBe(201);
    const again = await putObject(version("a.txt", "the real bytes"), "the real bytes");
    expect([again.status, again.body.stored]).toEqual([200, false]);
    expect((await putObject(version("a.txt", "changed bytes"), "changed bytes")).status).toBe(409);
    const parts = [{ part_number: 1, size: 3, md5: md5("abc"), sha256: sha("abc") }, { part_number: 2, size: 4, md5: md5("defg"), sha256: sha("defg") }];
    const composite = compositeSha256(parts.map((p) => ({ sha256Hex: p.sha256 })));
    expect((await putObject(version("p.bin", "abcdefg", { parts, sha256: composite, parts_count: 2, etag: "e-2" }), "abcdefg")).status).toBe(201);
    // A part list far longer than any request header could carry.
    const many = Array.from({ length: 400 }, (_, i) => `part-${String(i).padStart(4, "0")}`);
    const manyParts = many.map((p, i) => ({ part_number: i + 1, size: p.length, md5: md5(p), sha256: sha(p) }));
    const manyComposite = compositeSha256(manyParts.map((p) => ({ sha256Hex: p.sha256 })));
    const all = many.join("");
    expect((await putObject(version("many.bin", all, { parts: manyParts, sha256: manyComposite, parts_count: 400, etag: "m-400" }), all)).status).toBe(201);
    expect(await rows()).toBe(3);
    const missing = await post("missing", { ...route(), versions: [{ bucket: "docs", key: "a.txt", version_id: "v-a.txt", sha256: sha("the real bytes") }, { bucket: "docs", key: "b.txt", version_id: "v-b.txt", sha256: sha("b") }] });
    expect(missing.body).toEqual({ missing: [1] });
    const verify = await post("verify", { ...route(), versions: 2, markers: 0, digest: "0".repeat(64) });
    expect(verify.body).toMatchObject({ versions: 3, markers: 0, match: false });
  });

  it("drops what it received when the source asks (the manifests differed), and takes the copy anew", async () => {
    expect((await post("reset", route("US-EAST"))).status).toBe(409);
    const reset = await post("reset", route());
    expect(reset.body).toEqual({ versions_dropped: 3, markers_dropped: 0 });
    expect(await rows()).toBe(0);
    expect(await tenantFiles()).toBe(0);
    expect((await putObject(version("a.txt", "the real bytes"), "the real bytes")).status).toBe(201);
    const parts = [{ part_number: 1, size: 3, md5: md5("abc"), sha256: sha("abc") }, { part_number: 2, size: 4, md5: md5("defg"), sha256: sha("defg") }];
    const composite = compositeSha256(parts.map((p) => ({ sha256Hex: p.sha256 })));
    expect((await putObject(version("p.bin", "abcdefg", { parts, sha256: composite, parts_count: 2, etag: "e-2" }), "abcdefg")).status).toBe(201);
  });

  it("serves the customer once activated, with its bytes and ETags, and takes no more of the move", async () => {
    expect((await post("activate", route("US-EAST"))).status).toBe(409);
    const activated = await post("activate", route());
    expect(activated).toMatchObject({ status: 200, body: { status: "active", from_region: "FI-HEL" } });
    expect((await post("activate", route())).status).toBe(200);
    const get = await s3(de.url, "incoming")("/docs/a.txt");
    expect(get.status).toBe(200);
    expect(get.headers.get("etag")).toBe(`"${md5("the real bytes")}"`);
    expect(await get.text()).toBe("the real bytes");
    expect(await (await s3(de.url, "incoming")("/docs/p.bin")).text()).toBe("abcdefg");
    expect((await putObject(version("c.txt", "late"), "late")).status).toBe(409);
  });
});
