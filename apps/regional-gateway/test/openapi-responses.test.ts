import { rm } from "node:fs/promises";
import { postgresClient } from "@s3gw/db";
import { conformance, type Conformance, type OpenApiDoc } from "@s3gw/openapi/testing";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "./customer-storage-helpers.ts";
import { adminAuth, register, s3, startTestRegion, type TestRegion } from "./harness.ts";

/**
 * Every documented JSON operation of a started regional gateway answers, on its happy path and
 * on at least one error, a body that validates against the schema its document gives for that
 * status (exact objects: a field the schema does not name fails).
 */
describe("regional gateway answers match their OpenAPI schemas", () => {
  let gw: TestRegion;
  let sql: postgres.Sql;
  let doc: OpenApiDoc;
  let c: Conformance;

  beforeAll(async () => {
    gw = await startTestRegion("FI-HEL", { publicS3Endpoint: "https://s3.example.test" });
    sql = postgresClient(gw.databaseUrl, { max: 1 });
    doc = (await (await fetch(`${gw.url}/ops/openapi.json`)).json()) as OpenApiDoc;
    c = conformance(doc);
  });
  afterAll(async () => {
    await sql?.end();
    await gw?.destroy();
  });

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = adminAuth) =>
    fetch(`${gw.url}${path}`, { method, headers: { "content-type": "application/json", ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  /** Calls `method path` (the documented path with its parameters filled in) and checks status and body. */
  async function expectAnswer<T = Record<string, unknown>>(status: number, method: string, documented: string, actual: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const res = await call(method.toUpperCase(), actual, body, headers);
    const checked = await c.check(res, method, documented);
    // Soft: one run names every operation that disagrees with its document.
    expect.soft(checked.status, `${method} ${actual}: ${JSON.stringify(checked.body).slice(0, 500)}`).toBe(status);
    expect.soft(checked.problems, `${method} ${actual} ${status}: ${JSON.stringify(checked.problems).slice(0, 3000)}`).toEqual([]);
    return checked.body as T;
  }

  it("the check fails on an unnamed field, a missing one, a wrong type and an undescribed status", async () => {
    const answer = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });
    const reply = { replayed: 0 };
    expect((await c.check(answer(reply), "post", "/api/notification-deliveries/replay")).problems).toEqual([]);
    expect((await c.check(answer({ ...reply, extra: 1 }), "post", "/api/notification-deliveries/replay")).problems).not.toEqual([]);
    expect((await c.check(answer({ replayed: "0" }), "post", "/api/notification-deliveries/replay")).problems).not.toEqual([]);
    expect((await c.check(answer({ error: { code: "NOT_FOUND", message: "m" } }, 404), "get", "/api/customers/{id}/info")).problems).not.toEqual([]);
    await expect(c.check(answer(reply, 418), "post", "/api/notification-deliveries/replay")).rejects.toThrow(/not described/);
  });

  it("the happy path of every JSON operation", async () => {
    const ok = expectAnswer;
    const cust = "/api/customers/acme-corp";
    await ok(200, "get", "/health", "/health");
    await ok(200, "get", "/ops/dashboard", "/ops/dashboard?format=json");
    expect((await register(gw.url, "acme-corp")).status).toBe(201);
    await ok(201, "post", "/api/customers/{id}/register", "/api/customers/gone-corp/register", { customer_name: "Gone Oy", country: "Finland", data_residency_requirement: "flexible", compliance_requirements: ["GDPR"], primary_contact_email: "a@gone.fi", compliance_officer_email: "b@gone.fi", legal_basis: "contract" });
    await ok(200, "get", "/api/customers", "/api/customers");
    await ok(200, "get", "/api/customers/{id}/info", `${cust}/info`);
    await ok(200, "patch", "/api/customers/{id}", cust, { customer_name: "Acme Oy" });
    await ok(200, "post", "/api/customers/{id}/suspend", `${cust}/suspend`, { reason: "unpaid", reads: "allowed" });
    await ok(200, "post", "/api/customers/{id}/resume", `${cust}/resume`, {});
    await ok(200, "get", "/api/customers/{id}/rules", `${cust}/rules`);
    await ok(200, "put", "/api/customers/{id}/rules", `${cust}/rules`, { allowed_content_types: ["text/plain"], max_object_size_bytes: 1_000_000, reject_duplicate_content: false, block_cross_border_access: false, anomaly_threshold_per_hour: 100 });

    const acme = s3(gw.url, "acme-corp");
    expect((await acme("/docs", { method: "PUT" })).status).toBe(200);
    expect((await acme("/docs/a.txt", { method: "PUT", body: "hello", headers: { "content-type": "text/plain" } })).status).toBe(200);
    const policy = { Version: "2012-10-17", Statement: [{ Sid: "Read", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::docs/*" }] };
    expect((await acme("/docs?policy", { method: "PUT", body: JSON.stringify(policy) })).status).toBe(204);
    await ok(200, "get", "/api/customers/{id}/buckets/{bucket}/policy", `${cust}/buckets/docs/policy`);

    const storage = { provider_label: "minio", endpoint: `http://127.0.0.1:${await closedPort()}`, region: "us-east-1", country: "FI", bucket: "acme-vault", access_key_id: "AKIAEXAMPLE", secret_access_key: "secret-example-0123456789" };
    await ok(200, "put", "/api/customers/{id}/storage", `${cust}/storage`, storage);
    await ok(200, "get", "/api/customers/{id}/storage", `${cust}/storage`);
    await ok(200, "post", "/api/customers/{id}/storage/validate", `${cust}/storage/validate`);
    await ok(200, "post", "/api/customers/{id}/storage/rotate", `${cust}/storage/rotate`, { access_key_id: "AKIAOTHER", secret_access_key: "secret-other-0123456789", override_validation: true });

    const token = await ok<{ token_id: string }>(201, "post", "/api/tokens", "/api/tokens", { name: "auditor", role: "auditor", customer_id: "acme-corp" });
    expect(token.token_id).toBeTruthy();
    await ok(200, "get", "/api/tokens", "/api/tokens");
    const key = await ok<{ access_key_id: string }>(201, "post", "/api/customers/{id}/access-keys", `${cust}/access-keys`, { description: "laptop", allowed_buckets: ["docs"] });
    await ok(200, "get", "/api/customers/{id}/access-keys", `${cust}/access-keys`);
    await ok(200, "patch", "/api/customers/{id}/access-keys/{akid}", `${cust}/access-keys/${key.access_key_id}`, { status: "disabled" });
    await ok(200, "patch", "/api/customers/{id}/access-keys/{akid}", `${cust}/access-keys/${key.access_key_id}`, { status: "active" });
    await ok(200, "post", "/api/access-keys/rotate-master-key", "/api/access-keys/rotate-master-key");
    await ok(201, "post", "/api/presign", "/api/presign", { customer_id: "acme-corp", bucket: "docs", key: "a.txt", method: "GET" });

    const kek = await ok<{ key_id: string }>(201, "post", "/api/customers/{id}/keys", `${cust}/keys`, { description: "main" });
    const kp = `${cust}/keys/${kek.key_id}`;
    await ok(200, "get", "/api/customers/{id}/keys", `${cust}/keys`);
    await ok(200, "get", "/api/customers/{id}/keys/{keyId}", kp);
    for (const action of ["rotate", "disable", "enable"]) await ok(200, "post", `/api/customers/{id}/keys/{keyId}/${action}`, `${kp}/${action}`);
    await ok(200, "post", "/api/customers/{id}/keys/{keyId}/schedule-deletion", `${kp}/schedule-deletion`, { pending_days: 7 });
    await ok(200, "post", "/api/customers/{id}/keys/{keyId}/cancel-deletion", `${kp}/cancel-deletion`);
    await ok(202, "post", "/api/customers/{id}/crypto-shred", "/api/customers/gone-corp/crypto-shred", { reason: "offboarding" });
    await ok(200, "get", "/api/customers/{id}/crypto-shred", "/api/customers/gone-corp/crypto-shred");
    await ok(200, "delete", "/api/customers/{id}/crypto-shred", "/api/customers/gone-corp/crypto-shred");

    await ok(200, "get", "/api/compliance/summary", "/api/compliance/summary", undefined, { ...adminAuth, "x-customer-id": "acme-corp" });
    const [event] = await sql`insert into compliance_events (customer_id, event_type, severity, event_description, details) values ('acme-corp', 'test_event', 'low', 'a test event', ${sql.json({ why: "test" })}) returning event_id`;
    await ok(200, "get", "/api/compliance/alerts", "/api/compliance/alerts");
    await ok(200, "post", "/api/compliance/events/{id}/resolve", `/api/compliance/events/${event!.event_id}/resolve`, { resolution_note: "checked" });
    await ok(200, "get", "/api/compliance/validate/data-residency", "/api/compliance/validate/data-residency?customer_id=acme-corp");
    await ok(200, "put", "/api/holds", "/api/holds", { customer_id: "acme-corp", bucket: "docs", key: "a.txt", reason: "litigation" });
    await ok(200, "get", "/api/holds", "/api/holds?customer_id=acme-corp");
    await ok(200, "delete", "/api/holds", "/api/holds", { customer_id: "acme-corp", bucket: "docs", key: "a.txt", reason: "settled" });
    await ok(200, "post", "/api/objects/verify", "/api/objects/verify", { customer_id: "acme-corp" });

    const subject = { customer_id: "acme-corp", data_subject_id: "john@acme.fi" };
    const access = await ok<{ request_id: string }>(201, "post", "/api/gdpr/requests", "/api/gdpr/requests", { ...subject, request_type: "access" });
    await ok(200, "get", "/api/gdpr/requests", "/api/gdpr/requests");
    await ok(200, "get", "/api/gdpr/requests/{id}", `/api/gdpr/requests/${access.request_id}`);
    await ok(200, "patch", "/api/gdpr/requests/{id}", `/api/gdpr/requests/${access.request_id}`, { notes: "identity verified" });
    await ok(200, "post", "/api/gdpr/requests/{id}/execute", `/api/gdpr/requests/${access.request_id}/execute`);
    await ok(200, "get", "/api/gdpr/requests/{id}/export", `/api/gdpr/requests/${access.request_id}/export`);
    const restrict = await ok<{ request_id: string }>(201, "post", "/api/gdpr/requests", "/api/gdpr/requests", { ...subject, request_type: "restriction" });
    await ok(200, "post", "/api/gdpr/requests/{id}/execute", `/api/gdpr/requests/${restrict.request_id}/execute`);
    await ok(200, "post", "/api/gdpr/requests/{id}/lift", `/api/gdpr/requests/${restrict.request_id}/lift`);

    const target = await ok<{ target_id: string }>(201, "post", "/api/notification-targets", "/api/notification-targets", { name: "hook", kind: "webhook", country: "FI", webhook: { url: "http://127.0.0.1:9/hook" } });
    await ok(200, "get", "/api/notification-targets", "/api/notification-targets");
    await ok(200, "get", "/api/notification-targets/{id}", `/api/notification-targets/${target.target_id}`);
    const sub = await ok<{ subscription_id: string }>(201, "post", "/api/compliance/subscriptions", "/api/compliance/subscriptions", { target_id: target.target_id, customer_id: "acme-corp", events: ["gdpr.*"] });
    await ok(200, "get", "/api/compliance/subscriptions", "/api/compliance/subscriptions");
    await ok(200, "delete", "/api/compliance/subscriptions/{id}", `/api/compliance/subscriptions/${sub.subscription_id}`);
    await ok(200, "get", "/api/notification-deliveries", "/api/notification-deliveries");
    await ok(200, "post", "/api/notification-deliveries/replay", "/api/notification-deliveries/replay", {});
    await ok(200, "delete", "/api/notification-targets/{id}", `/api/notification-targets/${target.target_id}?force=true`);

    const mig = await ok<{ migration_id: string }>(202, "post", "/api/storage-migrations", "/api/storage-migrations", { customer_id: "acme-corp", to_target: "fi-hel-fs", dry_run: true });
    await ok(200, "get", "/api/storage-migrations", "/api/storage-migrations");
    await ok(200, "get", "/api/storage-migrations/{id}", `/api/storage-migrations/${mig.migration_id}`);
    await ok(202, "post", "/api/storage-migrations/{id}/cancel", `/api/storage-migrations/${mig.migration_id}/cancel`);

    await ok(201, "post", "/api/audit/checkpoints", "/api/audit/checkpoints");
    await ok(200, "get", "/api/audit/checkpoints", "/api/audit/checkpoints");
    await ok(200, "get", "/api/audit/verify", "/api/audit/verify");
    await ok(200, "get", "/api/audit/operations", "/api/audit/operations?limit=50");
    await ok(200, "get", "/api/audit/jurisdiction-compliance", "/api/audit/jurisdiction-compliance");

    await ok(200, "post", "/api/customers/{id}/offboard", "/api/customers/gone-corp/offboard", { reason: "contract ended", export: true });
    await ok(200, "get", "/api/customers/{id}/offboard", "/api/customers/gone-corp/offboard");
    // A move stopped at its last step (erase, which needs neither the router nor the target) is resumed and finishes here.
    expect((await register(gw.url, "moved-corp")).status).toBe(201);
    await sql`insert into customer_moves (customer_id, to_region, status, step, prior, requested_by) values ('moved-corp', 'DE-FRA', 'failed', 'erase', '{"status":"active","suspendedReason":null,"suspendedReads":null}', 'admin')`;
    await ok(200, "get", "/api/customers/{id}/move", "/api/customers/moved-corp/move");
    await ok(200, "post", "/api/customers/{id}/move", "/api/customers/moved-corp/move", { to_region: "DE-FRA" });
    expect(c.unseen().success).toEqual([]);
  });

  it("an error of every JSON operation, and the errors each kind of bad input gives", async () => {
    const err = expectAnswer;
    // Without a token: every authenticated operation answers 401 in the documented error shape.
    const filled: Record<string, string> = { id: "acme-corp", akid: "S3GWAAAAAAAAAAAAAAAA", keyId: "6f1c1a52-7d0e-4a57-9a57-3f2b1d1e0c11", bucket: "docs" };
    const uuidIds = /^\/api\/(tokens|storage-migrations|gdpr\/requests|compliance\/(events|subscriptions))\/\{id\}/;
    let unauthenticated = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, { security?: unknown[] }>)) {
        if (op.security?.length === 0) continue;
        const actual = path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === "id" && uuidIds.test(path) ? filled.keyId! : name === "id" && path.startsWith("/api/notification-targets") ? "tgt_000000000000000000000000" : filled[name]!));
        await err(401, method, path, actual, method === "get" || method === "delete" ? undefined : {}, {});
        unauthenticated++;
      }
    }
    expect(unauthenticated).toBeGreaterThan(60);
    // Bad input (400), something that is not there (404), a conflict (409), a role that may not (403).
    const auditor = await expectAnswer<{ token: string }>(201, "post", "/api/tokens", "/api/tokens", { name: "read only", role: "auditor" });
    await err(403, "post", "/api/tokens", "/api/tokens", { name: "x", role: "auditor" }, { authorization: `Bearer ${auditor.token}` });
    await err(400, "post", "/api/tokens", "/api/tokens", { name: "x", role: "emperor" });
    await err(400, "get", "/api/customers", "/api/customers?limit=0");
    await err(404, "get", "/api/customers/{id}/info", "/api/customers/nobody-here/info");
    await err(409, "post", "/api/customers/{id}/register", "/api/customers/acme-corp/register", { customer_name: "Again", country: "Finland", data_residency_requirement: "strict", compliance_requirements: [], primary_contact_email: "a@b.fi", compliance_officer_email: "c@d.fi" });
    await err(400, "get", "/api/gdpr/requests/{id}", "/api/gdpr/requests/not-a-uuid");
    await err(404, "get", "/api/storage-migrations/{id}", `/api/storage-migrations/${filled.keyId}`);
    await err(400, "post", "/api/notification-targets", "/api/notification-targets", { name: "bad", kind: "webhook", country: "FI", webhook: { url: "file:///etc/passwd" } });
    // Text the database cannot store exactly, and a body over the limit.
    await err(400, "patch", "/api/customers/{id}", "/api/customers/acme-corp", { customer_name: "bad\u0000name" });
    const big = await fetch(`${gw.url}/api/customers/acme-corp`, { method: "PATCH", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ customer_name: "x".repeat(2 * 1024 * 1024) }) });
    const checked = await c.check(big, "patch", "/api/customers/{id}");
    expect([checked.status, checked.problems]).toEqual([413, []]);

    // The open operations' errors, on a region without an audit signing key whose storage breaks.
    const bare = await startTestRegion("FI-HEL", { auditSigner: undefined });
    try {
      const onBare = async (status: number, path: string) => {
        const res = await c.check(await fetch(`${bare.url}${path}`), "get", path);
        expect([res.status, res.problems]).toEqual([status, []]);
        return res.body as { storage: { detail?: string } };
      };
      await onBare(404, "/api/audit/public-key");
      await rm(bare.storageDir, { recursive: true, force: true });
      expect((await onBare(503, "/health")).storage.detail).toBeTruthy();
    } finally {
      await bare.destroy();
    }
    expect(c.unseen().error).toEqual([]);
  });
});
