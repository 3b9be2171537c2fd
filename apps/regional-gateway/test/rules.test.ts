import { readdir } from "node:fs/promises";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, bearer, mintToken, register, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
const tokens: Record<string, string> = {};

const json = { "content-type": "application/json" };

const DEFAULTS = {
  allowed_content_types: null,
  max_object_size_bytes: null,
  reject_duplicate_content: false,
  block_cross_border_access: false,
  unknown_source_country: "deny",
  anomaly_threshold_per_hour: 100,
  public_read_buckets: [],
};

function putRules(customerId: string, rules: Record<string, unknown>, auth: Record<string, string> = adminAuth) {
  return fetch(`${fi.url}/api/customers/${customerId}/rules`, { method: "PUT", headers: { ...json, ...auth }, body: JSON.stringify(rules) });
}
const getRules = (customerId: string, auth: Record<string, string> = adminAuth) => fetch(`${fi.url}/api/customers/${customerId}/rules`, { headers: auth });

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => `${d.parentPath}/${d.name}`);
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  for (const id of ["rules-co", "other-co", "ct-co", "size-co", "dup-co", "xb-co"]) expect((await register(fi.url, id)).status).toBe(201);
  tokens.officer = await mintToken(fi.url, "dpo", "compliance_officer");
  tokens.auditor = await mintToken(fi.url, "auditor", "auditor");
  tokens.otherOfficer = await mintToken(fi.url, "other dpo", "compliance_officer", "other-co");
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("rules API", () => {
  it("answers the defaults while no rule is set, to every read role", async () => {
    for (const auth of [adminAuth, bearer(tokens.officer!), bearer(tokens.auditor!)]) {
      const res = await getRules("rules-co", auth);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ customer_id: "rules-co", rules: DEFAULTS });
    }
    expect((await getRules("nobody-here")).status).toBe(404);
    expect((await getRules("Bad_Id")).status).toBe(400);
  });

  it("refuses missing tokens, read-only roles and other customers' scoped tokens", async () => {
    const rules = { ...DEFAULTS, reject_duplicate_content: true };
    expect((await getRules("rules-co", {})).status).toBe(401);
    expect((await putRules("rules-co", rules, {})).status).toBe(401);
    expect((await putRules("rules-co", rules, bearer(tokens.auditor!))).status).toBe(403);
    expect((await getRules("rules-co", bearer(tokens.otherOfficer!))).status).toBe(403);
    expect((await putRules("rules-co", rules, bearer(tokens.otherOfficer!))).status).toBe(403);
    expect((await getRules("rules-co")).status).toBe(200);
    expect(((await (await getRules("rules-co")).json()) as { rules: unknown }).rules).toEqual(DEFAULTS);
    // The scoped officer manages its own customer.
    const own = await putRules("other-co", rules, bearer(tokens.otherOfficer!));
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ customer_id: "other-co", rules, changed: ["reject_duplicate_content"] });
    const denied = await sql`select result, status_code from operations_log where operation_type = 'PutComplianceRules' and result = 'denied' order by id`;
    expect(denied.map((r) => [r.result, r.status_code])).toEqual([["denied", 401], ["denied", 403], ["denied", 403]]);
  });

  it("validates the body: the whole rule set, well-formed", async () => {
    const bad = [
      { reject_duplicate_content: true },
      { ...DEFAULTS, surprise: 1 },
      { ...DEFAULTS, allowed_content_types: [] },
      { ...DEFAULTS, allowed_content_types: ["pdf"] },
      { ...DEFAULTS, allowed_content_types: ["*/*"] },
      { ...DEFAULTS, max_object_size_bytes: 0 },
      { ...DEFAULTS, max_object_size_bytes: 1.5 },
      { ...DEFAULTS, anomaly_threshold_per_hour: 0 },
      { ...DEFAULTS, block_cross_border_access: "yes" },
    ];
    for (const body of bad) {
      const res = await putRules("rules-co", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("BAD_REQUEST");
    }
    const notJson = await fetch(`${fi.url}/api/customers/rules-co/rules`, { method: "PUT", headers: { ...json, ...adminAuth }, body: "{" });
    expect(notJson.status).toBe(400);
    expect(((await (await getRules("rules-co")).json()) as { rules: unknown }).rules).toEqual(DEFAULTS);
  });

  it("stores a rule set, reports and logs what changed", async () => {
    const rules = {
      allowed_content_types: ["Application/PDF", "image/*"],
      max_object_size_bytes: 1024,
      reject_duplicate_content: true,
      block_cross_border_access: false,
      anomaly_threshold_per_hour: 250,
    };
    const res = await putRules("rules-co", rules, bearer(tokens.officer!));
    expect(res.status).toBe(200);
    const stored = { ...rules, allowed_content_types: ["application/pdf", "image/*"], unknown_source_country: "deny", public_read_buckets: [] };
    expect(await res.json()).toEqual({
      customer_id: "rules-co",
      rules: stored,
      changed: ["allowed_content_types", "max_object_size_bytes", "reject_duplicate_content", "anomaly_threshold_per_hour"],
    });
    expect(await (await getRules("rules-co", bearer(tokens.auditor!))).json()).toEqual({ customer_id: "rules-co", rules: stored });
    const rows = await sql`select rule_type, enabled from compliance_rules where customer_id = 'rules-co' order by rule_type`;
    expect(rows.map((r) => `${r.rule_type}:${r.enabled}`)).toEqual([
      "allowed_content_types:true", "anomaly_threshold:true", "block_cross_border_access:false", "max_object_size:true", "public_read_buckets:false", "reject_duplicate_content:true",
    ]);
    const [logged] = await sql`select compliance_info, principal from operations_log where operation_type = 'PutComplianceRules' and customer_id = 'rules-co' and result = 'success'`;
    expect(logged!.principal).toContain("compliance_officer");
    expect(logged!.compliance_info.changed.max_object_size_bytes).toEqual({ from: null, to: 1024 });

    // Turning rules off again restores the defaults; an unchanged PUT changes nothing.
    expect(await (await putRules("rules-co", DEFAULTS)).json()).toMatchObject({ changed: ["allowed_content_types", "max_object_size_bytes", "reject_duplicate_content", "anomaly_threshold_per_hour"] });
    expect(await (await putRules("rules-co", DEFAULTS)).json()).toMatchObject({ rules: DEFAULTS, changed: [] });
  });
});

describe("rules enforced on the S3 path", () => {
  it("allowed content types: others are refused with 415 ContentTypeNotAllowed and nothing is stored", async () => {
    const ct = s3(fi.url, "ct-co");
    expect((await ct("/docs", { method: "PUT" })).status).toBe(200);
    expect((await ct("/docs/before.txt", { method: "PUT", body: "x", headers: { "content-type": "text/plain" } })).status).toBe(200);
    expect((await putRules("ct-co", { ...DEFAULTS, allowed_content_types: ["application/pdf", "image/*"] })).status).toBe(200);

    const refused = await ct("/docs/note.txt", { method: "PUT", body: "hello", headers: { "content-type": "text/plain" } });
    expect(refused.status).toBe(415);
    expect(await refused.text()).toContain("<Code>ContentTypeNotAllowed</Code>");
    expect((await ct("/docs/note.txt")).status).toBe(404);
    // No Content-Type means binary/octet-stream, which the list does not allow either.
    expect((await ct("/docs/blob", { method: "PUT", body: "b" })).status).toBe(415);
    expect((await ct("/docs/a.pdf", { method: "PUT", body: "%PDF", headers: { "content-type": "application/pdf; qs=0.9" } })).status).toBe(200);
    expect((await ct("/docs/a.png", { method: "PUT", body: "png", headers: { "content-type": "image/png" } })).status).toBe(200);
    // Reads are not concerned: the object stored before the rule is still served.
    expect((await ct("/docs/before.txt")).status).toBe(200);
    const [row] = await sql`select result, status_code, error_code from operations_log where customer_id = 'ct-co' and object_key = 'note.txt'`;
    expect(row).toMatchObject({ result: "error", status_code: 415, error_code: "ContentTypeNotAllowed" });
  });

  it("maximum object size: 413 EntityTooLarge, with or without Content-Length, nothing stored", async () => {
    const sz = s3(fi.url, "size-co");
    expect((await sz("/big", { method: "PUT" })).status).toBe(200);
    expect((await putRules("size-co", { ...DEFAULTS, max_object_size_bytes: 10 })).status).toBe(200);
    expect((await sz("/big/ten", { method: "PUT", body: "0123456789" })).status).toBe(200);
    const before = await filesUnder(fi.storageDir);

    const declared = await sz("/big/eleven", { method: "PUT", body: "0123456789A" });
    expect(declared.status).toBe(413);
    expect(await declared.text()).toContain("<Code>EntityTooLarge</Code>");

    // A streamed body without Content-Length is measured after hashing; its bytes are removed.
    const stream = new ReadableStream({
      start(ctl) {
        ctl.enqueue(new TextEncoder().encode("01234"));
        ctl.enqueue(new TextEncoder().encode("56789AB"));
        ctl.close();
      },
    });
    const chunked = await sz("/big/streamed", { method: "PUT", body: stream });
    expect(chunked.status).toBe(413);
    expect(await chunked.text()).toContain("<Code>EntityTooLarge</Code>");

    expect((await sz("/big/eleven")).status).toBe(404);
    expect((await sz("/big/streamed")).status).toBe(404);
    expect(await filesUnder(fi.storageDir)).toEqual(before);
    const [{ n }] = (await sql`select count(*)::int as n from object_metadata where customer_id = 'size-co'`) as unknown as [{ n: number }];
    expect(n).toBe(1);
  });

  it("duplicate content: the same SHA-256 in the same bucket is 409, in another bucket it is allowed", async () => {
    const dup = s3(fi.url, "dup-co");
    for (const b of ["/one", "/two"]) expect((await dup(b, { method: "PUT" })).status).toBe(200);
    expect((await dup("/one/a.txt", { method: "PUT", body: "same bytes" })).status).toBe(200);
    expect((await putRules("dup-co", { ...DEFAULTS, reject_duplicate_content: true })).status).toBe(200);

    const res = await dup("/one/c.txt", { method: "PUT", body: "same bytes" });
    expect(res.status).toBe(409);
    const body = await res.text();
    expect(body).toContain("<Code>DuplicateContent</Code>");
    expect((await dup("/one/c.txt")).status).toBe(404);
    // Rewriting a key with its own bytes is not a duplicate; different bytes are fine; another bucket is fine.
    expect((await dup("/one/a.txt", { method: "PUT", body: "same bytes", headers: { "content-type": "text/plain" } })).status).toBe(200);
    expect((await dup("/one/d.txt", { method: "PUT", body: "other bytes" })).status).toBe(200);
    expect((await dup("/two/a.txt", { method: "PUT", body: "same bytes" })).status).toBe(200);
    expect((await dup("/two/e.txt", { method: "PUT", body: "same bytes" })).status).toBe(409);
    const rows = await sql`select bucket_name, object_key from object_metadata where customer_id = 'dup-co' order by bucket_name, object_key`;
    expect(rows.map((r) => `${r.bucket_name}/${r.object_key}`)).toEqual(["one/a.txt", "one/d.txt", "two/a.txt"]);
  });

  it("cross-border block: a source country outside the storage's jurisdiction is refused and raises one event per hour", async () => {
    const xb = s3(fi.url, "xb-co");
    expect((await xb("/vault", { method: "PUT" })).status).toBe(200);
    expect((await xb("/vault/a.txt", { method: "PUT", body: "a", headers: { "x-source-country": "US" } })).status).toBe(200);
    expect((await putRules("xb-co", { ...DEFAULTS, block_cross_border_access: true })).status).toBe(200);

    const write = await xb("/vault/b.txt", { method: "PUT", body: "b", headers: { "x-source-country": "US" } });
    expect(write.status).toBe(403);
    expect(await write.text()).toContain("<Code>AccessDenied</Code>");
    expect((await xb("/vault/b.txt")).status).toBe(404);
    const read = await xb("/vault/a.txt", { headers: { "x-source-country": "us" } });
    expect(read.status).toBe(403);
    expect(await read.text()).toContain("cross-border access blocked");
    expect((await xb("/vault/a.txt", { method: "HEAD", headers: { "x-source-country": "JP" } })).status).toBe(403);

    // Inside the EU (FI storage, FI or DE client) access is allowed.
    expect((await xb("/vault/c.txt", { method: "PUT", body: "c", headers: { "x-source-country": "FI" } })).status).toBe(200);
    expect(await (await xb("/vault/a.txt", { headers: { "x-source-country": "FI" } })).text()).toBe("a");
    expect((await xb("/vault/a.txt", { headers: { "x-source-country": "DE" } })).status).toBe(200);
    // Without a trusted edge's country the rule's default applies: deny, unless the customer allows unknown origins.
    expect((await xb("/vault/a.txt")).status).toBe(403);
    expect((await putRules("xb-co", { ...DEFAULTS, block_cross_border_access: true, unknown_source_country: "allow" })).status).toBe(200);
    expect((await xb("/vault/a.txt")).status).toBe(200);

    const denied = await sql`select operation_type, source_country, result from operations_log where customer_id = 'xb-co' and result = 'denied' order by id`;
    expect(denied.map((r) => `${r.operation_type}:${r.source_country}`)).toEqual(["PutObject:US", "GetObject:US", "HeadObject:JP", "GetObject:null"]);
    const events = await sql`select event_type, severity, details, dedupe_key from compliance_events where customer_id = 'xb-co'`;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_type: "cross_border_access_blocked", severity: "medium", details: { direction: "write", source_country: "US", storage_country: "FI" } });
    expect(events[0]!.dedupe_key).toMatch(/^crossborder:xb-co:\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
  });
});

describe("the source-country header is the deployment's choice", () => {
  let edge: TestRegion;
  beforeAll(async () => {
    edge = await startTestRegion("FI-HEL", { sourceCountryHeader: "cf-ipcountry" });
    await register(edge.url, "edge-co");
    await fetch(`${edge.url}/api/customers/edge-co/rules`, { method: "PUT", headers: { ...json, ...adminAuth }, body: JSON.stringify({ ...DEFAULTS, block_cross_border_access: true }) });
  });
  afterAll(() => edge?.destroy());

  it("reads the configured header and ignores the default one", async () => {
    const c = s3(edge.url, "edge-co");
    expect((await c("/bkt", { method: "PUT", headers: { "cf-ipcountry": "FI" } })).status).toBe(200);
    // The default header is not the edge's here: the country stays unknown, and unknown is denied.
    expect((await c("/bkt/k", { method: "PUT", body: "k", headers: { "x-source-country": "FI" } })).status).toBe(403);
    expect((await c("/bkt/k", { method: "PUT", body: "k", headers: { "cf-ipcountry": "FI" } })).status).toBe(200);
    expect((await c("/bkt/k", { headers: { "cf-ipcountry": "US" } })).status).toBe(403);
    expect((await c("/bkt/k", { headers: { "cf-ipcountry": "FI" } })).status).toBe(200);
  });

  it("believes the header only from a configured proxy address", async () => {
    const untrusting = await startTestRegion("FI-HEL", { sourceCountryHeader: "cf-ipcountry", trustedProxies: [] });
    try {
      await register(untrusting.url, "edge-co");
      await fetch(`${untrusting.url}/api/customers/edge-co/rules`, { method: "PUT", headers: { ...json, ...adminAuth }, body: JSON.stringify({ ...DEFAULTS, block_cross_border_access: true }) });
      const c = s3(untrusting.url, "edge-co");
      expect((await c("/bkt", { method: "PUT" })).status).toBe(200);
      // A client claiming to be in Finland is not believed: unknown, denied.
      expect((await c("/bkt/k", { method: "PUT", body: "k", headers: { "cf-ipcountry": "FI" } })).status).toBe(403);
      const db = postgresClient(untrusting.databaseUrl, { max: 1 });
      const rows = await db`select source_country from operations_log where customer_id = 'edge-co' and operation_type = 'PutObject'`;
      await db.end();
      expect(rows.map((r) => r.source_country)).toEqual([null]);
    } finally {
      await untrusting.destroy();
    }
  });
});
