import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, startTestRegion, type TestRegion } from "../../apps/regional-gateway/test/harness.ts";

// Hostile text in management input: NUL, a lone surrogate (JSON.parse turns the "\ud800"
// escape into one) and invalid UTF-8 bytes. Each must be a 400 before it has any effect: a
// hold with a lone surrogate in its reason was once placed without its audit row.

let fi: TestRegion;
let sql: postgres.Sql;
let keyId: string;
let dsrId: string;

const PLACEHOLDER = "HOSTILE-PLACEHOLDER";

interface Route {
  name: string;
  method: string;
  path: () => string;
  body: () => Record<string, unknown>;
  /** The string field the hostile text goes into. */
  field: string;
}

const routes: Route[] = [
  { name: "register", method: "POST", path: () => "/api/customers/new-co/register", field: "customer_name", body: () => ({ customer_name: "New Co", country: "Finland", data_residency_requirement: "strict", primary_contact_email: "a@new.fi", compliance_officer_email: "b@new.fi" }) },
  { name: "create access key", method: "POST", path: () => "/api/customers/acme-corp/access-keys", field: "description", body: () => ({ description: "laptop", permission: "read-only" }) },
  { name: "update access key", method: "PATCH", path: () => `/api/customers/acme-corp/access-keys/${keyId}`, field: "status", body: () => ({ status: "disabled" }) },
  { name: "place hold", method: "PUT", path: () => "/api/holds", field: "reason", body: () => ({ customer_id: "acme-corp", bucket: "documents", key: "contract.pdf", reason: "litigation 2024-17" }) },
  { name: "lift hold", method: "DELETE", path: () => "/api/holds", field: "reason", body: () => ({ customer_id: "acme-corp", bucket: "documents", key: "contract.pdf", reason: "settled" }) },
  { name: "rules", method: "PUT", path: () => "/api/customers/acme-corp/rules", field: "allowed_content_types.0", body: () => ({ allowed_content_types: ["application/pdf"], max_object_size_bytes: null, reject_duplicate_content: false, block_cross_border_access: false, anomaly_threshold_per_hour: 1000 }) },
  { name: "gdpr create", method: "POST", path: () => "/api/gdpr/requests", field: "data_subject_id", body: () => ({ customer_id: "acme-corp", data_subject_id: "john.doe@acme.fi", request_type: "access" }) },
  { name: "gdpr update", method: "PATCH", path: () => `/api/gdpr/requests/${dsrId}`, field: "notes", body: () => ({ notes: "identity verified" }) },
  { name: "presign", method: "POST", path: () => "/api/presign", field: "key", body: () => ({ customer_id: "acme-corp", bucket: "documents", key: "contract.pdf", method: "GET" }) },
  { name: "objects verify", method: "POST", path: () => "/api/objects/verify", field: "key", body: () => ({ customer_id: "acme-corp", bucket: "documents", key: "contract.pdf" }) },
  { name: "resolve event", method: "POST", path: () => "/api/compliance/events/00000000-0000-4000-8000-000000000000/resolve", field: "resolution_note", body: () => ({ resolution_note: "fixed" }) },
  { name: "tokens", method: "POST", path: () => "/api/tokens", field: "name", body: () => ({ name: "ci", role: "auditor" }) },
  { name: "customer storage", method: "PUT", path: () => "/api/customers/acme-corp/storage", field: "bucket", body: () => ({ bucket: "acme-own", region: "eu-north-1", access_key_id: "AKIAEXAMPLE", secret_access_key: "secret" }) },
];

function withField(body: Record<string, unknown>, field: string, value: string): Record<string, unknown> {
  const copy = structuredClone(body);
  const [head, index] = field.split(".");
  if (index === undefined) copy[head!] = value;
  else (copy[head!] as unknown[])[Number(index)] = value;
  return copy;
}

/** The three hostile encodings of one field: raw bytes, so nothing on the way can repair them. */
function hostileBodies(route: Route): { kind: string; bytes: Uint8Array }[] {
  const enc = (v: Record<string, unknown>) => new TextEncoder().encode(JSON.stringify(v));
  const nul = enc(withField(route.body(), route.field, "in\u0000valid"));
  // JSON.stringify writes a lone surrogate as the escape "\ud800": well-formed JSON, hostile string.
  const surrogate = enc(withField(route.body(), route.field, "lone \ud800 surrogate"));
  const text = JSON.stringify(withField(route.body(), route.field, PLACEHOLDER));
  const [before, after] = text.split(PLACEHOLDER) as [string, string];
  const invalidUtf8 = new Uint8Array([...new TextEncoder().encode(before), 0x62, 0xff, 0xfe, 0xed, 0xa0, 0x80, ...new TextEncoder().encode(after)]);
  const keyNul = enc({ ...route.body(), "k\u0000": "v" });
  return [
    { kind: "NUL", bytes: nul },
    { kind: "lone surrogate", bytes: surrogate },
    { kind: "invalid UTF-8", bytes: invalidUtf8 },
    { kind: "NUL in a key", bytes: keyNul },
  ];
}

/** Every table except the operations log (which records the refusals), as one digest per table. */
async function snapshot(): Promise<Record<string, string>> {
  const tables = await sql<{ t: string }[]>`select table_name as t from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not in ('operations_log', '__drizzle_migrations') order by 1`;
  const out: Record<string, string> = {};
  for (const { t } of tables) {
    const [row] = await sql.unsafe(`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as d from "${t}" x`);
    out[t] = row!.d as string;
  }
  return out;
}

const send = (method: string, path: string, body: Uint8Array | string) =>
  fetch(`${fi.url}${path}`, { method, headers: { ...adminAuth, "content-type": "application/json" }, body });

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL", { publicS3Endpoint: "http://127.0.0.1:9" });
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  const acme = await registerWithBuckets(fi.url, "acme-corp", ["documents"]);
  expect((await acme("/documents/contract.pdf", { method: "PUT", body: "%PDF-1.7 signed" })).status).toBe(200);
  const key = await send("POST", "/api/customers/acme-corp/access-keys", JSON.stringify({ description: "setup" }));
  expect(key.status).toBe(201);
  keyId = ((await key.json()) as { access_key_id: string }).access_key_id;
  const dsr = await send("POST", "/api/gdpr/requests", JSON.stringify({ customer_id: "acme-corp", data_subject_id: "jane@acme.fi", request_type: "access" }));
  expect(dsr.status).toBe(201);
  dsrId = ((await dsr.json()) as { request_id: string }).request_id;
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("hostile text in management JSON", () => {
  it("refuses NUL, lone surrogates and invalid UTF-8 in every body with a 400, changing nothing", async () => {
    const before = await snapshot();
    const answers: string[] = [];
    for (const route of routes) {
      for (const { kind, bytes } of hostileBodies(route)) {
        const res = await send(route.method, route.path(), bytes);
        const body = (await res.json()) as { error: { code: string; message: string } };
        answers.push(`${route.name} / ${kind}: ${res.status} ${body.error?.code} ${res.status === 400 ? "" : body.error?.message}`);
        expect(body.error.message, `${route.name} / ${kind}`).toMatch(/NUL|surrogate|UTF-8/);
      }
    }
    expect(answers.filter((a) => !/: 400 BAD_REQUEST/.test(a))).toEqual([]);
    expect(await snapshot()).toEqual(before);
    // Each refusal is in the operations log, and the chain over them still verifies.
    const [{ n }] = (await sql`select count(*)::int as n from operations_log where status_code = 400 and compliance_info->>'reason' = 'unstorable_input'`) as unknown as [{ n: number }];
    expect(n).toBe(answers.length);
    const verify = await fetch(`${fi.url}/api/audit/verify`, { headers: adminAuth });
    expect(verify.status).toBe(200);
    expect(await verify.json()).toMatchObject({ intact: true });
  });

  it("accepts the same bodies without the hostile text (the 400s were about the text)", async () => {
    for (const route of routes) {
      if (route.name === "resolve event" || route.name === "customer storage") continue; // no such event; no reachable bucket
      const res = await send(route.method, route.path(), JSON.stringify(route.body()));
      expect(res.status, `${route.name}: ${await res.clone().text()}`).toBeLessThan(300);
    }
  });

  it("refuses hostile path parameters and query strings of the API", async () => {
    const paths = [
      "/api/customers/acme%00corp/info",
      "/api/customers/acme%ED%A0%80/info",
      "/api/customers/acme%FF/info",
      "/api/compliance/validate/data-residency?customer_id=acme%00corp",
      "/api/audit/operations?key_prefix=%ED%A0%80",
      "/api/audit/operations?key_prefix=%FF%FE",
      "/api/holds?cursor=%00",
      "/api/gdpr/requests?customer_id=%C0%80",
    ];
    for (const path of paths) {
      const res = await fetch(`${fi.url}${path}`, { headers: adminAuth });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error.message, path).toMatch(/NUL|surrogate|UTF-8/);
    }
  });
});
