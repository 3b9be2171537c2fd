// Whatever a request carries, its audit row is hashed over exactly what Postgres stores and
// gives back, so no input can make /api/audit/verify report a broken chain. Once, a lone
// surrogate sent to /api/objects/verify was stored altered and broke verification for good.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, postgresClient } from "@s3gw/db";
import { regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import pino from "pino";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog, verifyChain, type OperationRow } from "../../src/services/audit/audit.ts";
import { UNSTORABLE_TEXT } from "../../src/services/audit/audit-content.ts";
import { adminAuth, bearer, getAs, mintToken, registerWithBuckets, startTestRegion, type TestRegion } from "../harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

const NICE_TEXT = "Größe 👩‍👩‍👧 עברית \u2028 e\u0301 \t\n\"\\ \u007f \uFFFF";

function awkwardRow(requestId: string): OperationRow {
  const info: Record<string, unknown> = {
    zeta: { b: 2, a: [3, { y: null, x: "\udc00" }] },
    alpha: NICE_TEXT,
    big: 12345678901234567890,
    huge: 1.5e300,
    tiny: 1e-7,
    negZero: -0,
    when: new Date("2024-02-29T12:34:56.789Z"),
    dropped: undefined,
    bigint: 10n,
    ["key\u0000nul"]: "v",
    ["key\ud800lone"]: "w",
    nul: "a\u0000b",
  };
  return {
    requestId, customerId: "acme-corp", operationType: "VerifyObjectIntegrity", bucketName: "docs\ud83d", objectKey: "k\u0000ey",
    result: "error", statusCode: 400, errorCode: "BAD\udfffREQUEST", bytesTransferred: 3.4, sourceIp: "127.0.0.1", sourceCountry: "FI",
    crossBorderTransfer: false, complianceInfo: info, durationMs: 12.6, principal: NICE_TEXT, createdAt: new Date(),
  };
}

describe("audit rows are hashed over exactly what is stored", () => {
  it("writes a row with awkward content and the chain stays intact", async () => {
    await fi.deps.audit.record(awkwardRow("awkward-1"));
    const [r] = await sql`select * from operations_log where request_id = 'awkward-1'`;
    expect(r).toMatchObject({ bucket_name: UNSTORABLE_TEXT, object_key: UNSTORABLE_TEXT, error_code: UNSTORABLE_TEXT, principal: NICE_TEXT, duration_ms: 13, bytes_transferred: "3" });
    const info = r!.compliance_info as Record<string, unknown>;
    // Storable content is kept exactly, unstorable parts are marked, not dropped.
    expect(info).toMatchObject({ alpha: NICE_TEXT, big: 12345678901234567890, huge: 1.5e300, tiny: 1e-7, negZero: 0, when: "2024-02-29T12:34:56.789Z", bigint: UNSTORABLE_TEXT, nul: UNSTORABLE_TEXT });
    expect((info.zeta as { a: unknown[] }).a[1]).toEqual({ y: null, x: UNSTORABLE_TEXT });
    expect(Object.keys(info)).toContain(`${UNSTORABLE_TEXT}#0`);
    expect(Object.keys(info)).toContain(`${UNSTORABLE_TEXT}#1`);
    expect("dropped" in info).toBe(false);
    const report = (await (await getAs(fi.url, "/api/audit/verify")).json()) as Record<string, unknown>;
    expect(report).toMatchObject({ intact: true });
  });

  it("survives the original attack: hostile text sent to /api/objects/verify by a customer-scoped token", async () => {
    await registerWithBuckets(fi.url, "acme-corp", ["docs"]);
    const officer = await mintToken(fi.url, "acme-officer", "compliance_officer", "acme-corp");
    const bodies = [
      '{"customer_id":"acme-corp","bucket":"docs","key":"\\udc00"}',
      '{"customer_id":"acme-corp","bucket":"docs","key":"a\\u0000b"}',
      '{"customer_id":"acme-corp","bucket":"docs","key":"\\ud800\\ud800x"}',
    ];
    const [before] = await sql`select max(id)::int as id from operations_log`;
    for (const auth of [bearer(officer), adminAuth]) {
      for (const body of bodies) {
        const res = await fetch(`${fi.url}/api/objects/verify`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body });
        expect(res.status).toBeLessThan(500);
      }
    }
    // Refused or not, each request has its row.
    const rows = await sql`select count(*)::int as n from operations_log where id > ${before!.id} and operation_type <> 'VerifyAuditChain'`;
    expect(rows[0]!.n).toBe(6);
    expect(await (await getAs(fi.url, "/api/audit/verify")).json()).toMatchObject({ intact: true });
  });

  it("hashes what the embedded database (PGlite) gives back too", async () => {
    const dir = await mkdtemp(join(tmpdir(), "s3gw-audit-pglite-"));
    const database = await openDatabase({ pgliteDir: dir }, regionalSchema);
    try {
      await database.migrate(regionalMigrationsFolder);
      const log = new AuditLog(database, pino({ level: "silent" }));
      await Promise.all([log.record(awkwardRow("p1")), log.record(awkwardRow("p2")), log.record(awkwardRow("p3"))]);
      await log.close();
      expect(await verifyChain(database.db)).toMatchObject({ intact: true, rows: 3 });
    } finally {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
