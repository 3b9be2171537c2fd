import { MasterKeyRing } from "@s3gw/core";
import { postgresClient } from "@s3gw/db";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTargetSecret } from "../src/services/events/target-secrets.ts";
import { adminAuth, allPages, bearer, mintToken, registerWithBuckets, startTestRegion, TEST_MASTER_KEYS, type TestRegion } from "./harness.ts";
import { api, createTarget, notificationXml, refusal, webhookBody, type TargetBody } from "./notification-helpers.ts";

let fi: TestRegion;
let sql: postgres.Sql;
const ring = MasterKeyRing.parse(TEST_MASTER_KEYS);
const TARGETS = "/api/notification-targets";

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

/** Everything a client or the audit log could read about targets, as one text. */
async function everythingShown(targetId: string): Promise<string> {
  const one = await (await api(fi.url, `${TARGETS}/${targetId}`)).text();
  const list = await (await api(fi.url, `${TARGETS}?include_deleted=true&limit=500`)).text();
  const logged = await sql`select compliance_info from operations_log`;
  return [one, list, JSON.stringify(logged)].join("\n");
}

describe("notification targets API", () => {
  it("creates a webhook target with a generated secret shown once, sealed in the database, never shown again", async () => {
    const t = await createTarget(fi.url, webhookBody({ compliance_events: ["integrity.*", "hold.placed", "hold.placed"] }));
    expect(t.target_id).toMatch(/^tgt_[0-9a-f]{24}$/);
    expect(t.arn).toBe(`arn:s3gw:events:FI-HEL::${t.target_id}`);
    expect(t).toMatchObject({ kind: "webhook", country: "FI", compliance_events: ["integrity.*", "hold.placed"], webhook: { url: "http://127.0.0.1:9/hook", timeout_ms: 5000 }, deleted_at: null });
    expect(t.secret).toMatch(/^[0-9a-f]{64}$/);
    const [row] = await sql`select sealed_secret from notification_targets where target_id = ${t.target_id}`;
    expect(row!.sealed_secret).toMatch(/^v1\.test-k1\./);
    expect(openTargetSecret(ring, t.target_id, row!.sealed_secret)).toBe(t.secret);
    const shown = await everythingShown(t.target_id);
    expect(shown).toContain(t.target_id);
    expect(shown).not.toContain(t.secret!);
    expect(shown).not.toContain(row!.sealed_secret);
    expect(shown).not.toMatch(/"secret"/);
  });

  it("seals a given webhook secret without echoing it, and NATS credentials without showing them", async () => {
    const given = "my-own-signing-secret-0123456789";
    const hook = await createTarget(fi.url, webhookBody({ webhook: { url: "https://hooks.example.com/s3", secret: given, timeout_ms: 2500 } }));
    expect(hook.secret).toBeUndefined();
    expect(hook.webhook).toEqual({ url: "https://hooks.example.com/s3", timeout_ms: 2500 });
    const nats = await createTarget(fi.url, {
      name: `nats-${process.pid}`,
      kind: "nats",
      country: "Finland",
      nats: { servers: ["nats://127.0.0.1:4222", "localhost:4223"], stream: "H-API_EVENTS", subject: "h-api.events.fi", credentials: { user: "publisher", pass: "nats-password-secret-xyz" } },
    });
    expect(nats).toMatchObject({ kind: "nats", country: "FI", nats: { servers: ["nats://127.0.0.1:4222", "localhost:4223"], stream: "H-API_EVENTS", subject: "h-api.events.fi", timeout_ms: 5000, has_credentials: true } });
    expect(nats.secret).toBeUndefined();
    const rows = await sql`select target_id, sealed_secret from notification_targets where target_id in (${hook.target_id}, ${nats.target_id})`;
    const sealed = new Map(rows.map((r) => [r.target_id, r.sealed_secret as string]));
    expect(openTargetSecret(ring, hook.target_id, sealed.get(hook.target_id)!)).toBe(given);
    expect(JSON.parse(openTargetSecret(ring, nats.target_id, sealed.get(nats.target_id)!))).toEqual({ user: "publisher", pass: "nats-password-secret-xyz" });
    // Bound to the target id: one target's sealed secret copied onto another does not open.
    expect(() => openTargetSecret(ring, hook.target_id, sealed.get(nats.target_id)!)).toThrow();
    for (const id of [hook.target_id, nats.target_id]) {
      const shown = await everythingShown(id);
      for (const secret of [given, "nats-password-secret-xyz", ...sealed.values()]) expect(shown).not.toContain(secret);
    }
    const token = await createTarget(fi.url, { name: `nats-token-${process.pid}`, kind: "nats", country: "FI", nats: { servers: ["127.0.0.1:4222"], stream: "S", subject: "a.b", credentials: { token: "tok-secret-123" } } });
    expect(await everythingShown(token.target_id)).not.toContain("tok-secret-123");
    const bare = await createTarget(fi.url, { name: `nats-bare-${process.pid}`, kind: "nats", country: "FI", nats: { servers: ["127.0.0.1:4222"], stream: "S", subject: "a.b" } });
    expect(bare.nats!.has_credentials).toBe(false);
    const [none] = await sql`select sealed_secret from notification_targets where target_id = ${bare.target_id}`;
    expect(none!.sealed_secret).toBeNull();
  });

  it("refuses every malformed target with a 400 naming the field", async () => {
    const nats = (n: Record<string, unknown>) => ({ name: "bad-nats", kind: "nats", country: "FI", nats: { servers: ["127.0.0.1:4222"], stream: "S", subject: "a.b", ...n } });
    const bad: [Record<string, unknown> | string, RegExp][] = [
      ["not json", /JSON/],
      [webhookBody({ webhook: { url: "ftp://example.com/x" } }), /webhook\.url/],
      [webhookBody({ webhook: { url: "file:///etc/passwd" } }), /webhook\.url/],
      [webhookBody({ webhook: { url: "https://user:pw@example.com/" } }), /credentials/],
      [webhookBody({ webhook: { url: "not a url" } }), /webhook\.url/],
      [webhookBody({ webhook: { url: "http://x/", timeout_ms: 0 } }), /timeout_ms/],
      [webhookBody({ webhook: { url: "http://x/", secret: "short" } }), /secret/],
      [webhookBody({ webhook: { url: "http://x/", extra: 1 } }), /extra|Unrecognized/i],
      [webhookBody({ country: "Atlantis" }), /unknown country/],
      [webhookBody({ compliance_events: ["integrity.everything"] }), /compliance_events/],
      [webhookBody({ kind: "smtp" }), /kind/],
      [webhookBody({ nats: { servers: ["x:1"], stream: "s", subject: "a" } }), /nats|Unrecognized/i],
      [webhookBody({ name: "" }), /name/],
      [nats({ subject: "events.*" }), /subject/],
      [nats({ subject: "events.>" }), /subject/],
      [nats({ subject: "events..fi" }), /subject/],
      [nats({ subject: "a b" }), /subject/],
      [nats({ stream: "with.dot" }), /stream/],
      [nats({ servers: [] }), /servers/],
      [nats({ servers: ["nats://u:p@127.0.0.1:4222"] }), /server/],
      [nats({ servers: ["http://127.0.0.1:4222"] }), /server/],
      [nats({ servers: ["127.0.0.1:99999"] }), /server/],
      [nats({ credentials: { user: "u" } }), /credentials/],
    ];
    for (const [body, message] of bad) {
      const res = await api(fi.url, TARGETS, { body });
      const answer = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(answer.error.message, JSON.stringify(body)).toMatch(message);
    }
    const [n] = await sql`select count(*)::int as n from notification_targets where name like 'bad-%'`;
    expect(n!.n).toBe(0);
  });

  it("refuses a second target of the same name, deleted ones included", async () => {
    const body = webhookBody();
    const first = await createTarget(fi.url, body);
    expect(await refusal(await api(fi.url, TARGETS, { body }))).toBe("409 CONFLICT");
    expect((await api(fi.url, `${TARGETS}/${first.target_id}`, { method: "DELETE" })).status).toBe(200);
    expect(await refusal(await api(fi.url, TARGETS, { body }))).toBe("409 CONFLICT");
  });

  it("answers only region-wide admins: other roles, customer-scoped admins and anonymous callers are refused and audited", async () => {
    const target = await createTarget(fi.url);
    await registerWithBuckets(fi.url, "scoped-co", []);
    const tokens = {
      auditor: bearer(await mintToken(fi.url, "aud", "auditor")),
      officer: bearer(await mintToken(fi.url, "off", "compliance_officer")),
      scopedAdmin: bearer(await mintToken(fi.url, "sadm", "admin", "scoped-co")),
    };
    const calls = [
      { method: "POST", path: TARGETS, body: webhookBody() },
      { method: "GET", path: TARGETS },
      { method: "GET", path: `${TARGETS}/${target.target_id}` },
      { method: "DELETE", path: `${TARGETS}/${target.target_id}` },
    ];
    for (const call of calls) {
      for (const auth of Object.values(tokens)) {
        expect(await refusal(await api(fi.url, call.path, { ...call, auth })), `${call.method} ${call.path}`).toBe("403 FORBIDDEN");
      }
      expect((await api(fi.url, call.path, { ...call, auth: {} })).status).toBe(401);
      expect((await api(fi.url, call.path, { ...call, auth: bearer("s3gw_forged") })).status).toBe(401);
    }
    expect((await api(fi.url, `${TARGETS}/${target.target_id}`)).status).toBe(200);
    const denied = await sql`select operation_type from operations_log where status_code = 403 and operation_type like '%NotificationTarget%'`;
    expect(new Set(denied.map((r) => r.operation_type))).toEqual(new Set(["CreateNotificationTarget", "ListNotificationTargets", "DescribeNotificationTarget", "DeleteNotificationTarget"]));
  });

  it("pages the list with an opaque cursor, hides deleted targets unless asked, and refuses a tampered cursor", async () => {
    const made: TargetBody[] = [];
    for (let i = 0; i < 3; i++) made.push(await createTarget(fi.url));
    const pages = await allPages<TargetBody>(fi.url, `${TARGETS}?limit=2`);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    const ids = pages.flat().map((t) => t.target_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of made) expect(ids).toContain(t.target_id);
    expect((await api(fi.url, `${TARGETS}/${made[0]!.target_id}`, { method: "DELETE" })).status).toBe(200);
    expect((await allPages<TargetBody>(fi.url, `${TARGETS}?limit=500`)).flat().map((t) => t.target_id)).not.toContain(made[0]!.target_id);
    const all = (await allPages<TargetBody>(fi.url, `${TARGETS}?limit=500&include_deleted=true`)).flat();
    expect(all.find((t) => t.target_id === made[0]!.target_id)?.deleted_at).not.toBeNull();
    const tampered = Buffer.from(JSON.stringify({ t: "2026-01-01T00:00:00.000Z", id: "'; drop table x" })).toString("base64url");
    expect(await refusal(await api(fi.url, `${TARGETS}?cursor=${tampered}`))).toBe("400 BAD_REQUEST");
    expect(await refusal(await api(fi.url, `${TARGETS}?limit=0`))).toBe("400 BAD_REQUEST");
    expect(await refusal(await api(fi.url, `${TARGETS}/tgt_000000000000000000000000`))).toBe("404 NOT_FOUND");
  });

  it("refuses to delete a target a bucket configuration names (listing the buckets) unless forced; audits each", async () => {
    const target = await createTarget(fi.url);
    const client = await registerWithBuckets(fi.url, "naming-co", ["uses-target"]);
    const put = await client("/uses-target?notification", { method: "PUT", body: notificationXml([{ arn: target.arn, events: ["s3:ObjectCreated:*"] }]) });
    expect(put.status).toBe(200);
    const refused = await api(fi.url, `${TARGETS}/${target.target_id}`, { method: "DELETE" });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("naming-co/uses-target");
    expect((await api(fi.url, `${TARGETS}/${target.target_id}`)).status).toBe(200);
    const [live] = await sql`select deleted_at from notification_targets where target_id = ${target.target_id}`;
    expect(live!.deleted_at).toBeNull();
    const forced = await api(fi.url, `${TARGETS}/${target.target_id}?force=true`, { method: "DELETE" });
    expect(forced.status).toBe(200);
    const body = (await forced.json()) as { target: TargetBody; still_named_by: { customer_id: string; bucket: string }[] };
    expect(body.target.deleted_at).not.toBeNull();
    expect(body.still_named_by).toEqual([{ customer_id: "naming-co", bucket: "uses-target" }]);
    // Deleting again changes nothing; the row stays for the deliveries that name it.
    const again = (await (await api(fi.url, `${TARGETS}/${target.target_id}`, { method: "DELETE" })).json()) as { target: TargetBody };
    expect(again.target.deleted_at).toBe(body.target.deleted_at);
    const logged = await sql`select status_code, compliance_info from operations_log where operation_type = 'DeleteNotificationTarget' and compliance_info->>'target_id' = ${target.target_id} order by created_at`;
    expect(logged.map((r) => r.status_code)).toEqual([409, 200, 200]);
    expect(logged[1]!.compliance_info).toMatchObject({ force: true, still_named_by: 1 });
  });

  it("re-seals target secrets when the master key rotates, and they open under the new key alone", async () => {
    const hook = await createTarget(fi.url, webhookBody({ webhook: { url: "http://127.0.0.1:9/r", secret: "rotation-secret-0123456789" } }));
    const before = fi.deps.config.masterKeys;
    try {
      fi.deps.config.masterKeys = MasterKeyRing.parse(`${TEST_MASTER_KEYS},k2:${Buffer.alloc(32, 9).toString("base64")}`, "k2");
      const res = await fetch(`${fi.url}/api/access-keys/rotate-master-key`, { method: "POST", headers: adminAuth });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { notification_targets: { re_encrypted: number; unreadable: string[]; total: number } };
      expect(answer.notification_targets.unreadable).toEqual([]);
      expect(answer.notification_targets.re_encrypted).toBe(answer.notification_targets.total);
      const rows = await sql`select target_id, sealed_secret from notification_targets where sealed_secret is not null`;
      for (const r of rows) expect(r.sealed_secret).toMatch(/^v1\.k2\./);
      const k2Only = MasterKeyRing.parse(`k2:${Buffer.alloc(32, 9).toString("base64")}`);
      const [row] = await sql`select sealed_secret from notification_targets where target_id = ${hook.target_id}`;
      expect(openTargetSecret(k2Only, hook.target_id, row!.sealed_secret)).toBe("rotation-secret-0123456789");
    } finally {
      fi.deps.config.masterKeys = before;
    }
  });
});
