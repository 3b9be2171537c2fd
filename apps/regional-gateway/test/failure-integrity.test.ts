import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { open, unlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

const execFileAsync = promisify(execFile);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const SMALL = randomBytes(4096);
const LARGE = randomBytes(3 * 1024 * 1024); // above the 1 MiB verify-before-sending threshold

let region: TestRegion;
let scrubbed: TestRegion;
let sql: postgres.Sql;
let client: ReturnType<typeof s3>;

async function pathOf(r: TestRegion, key: string): Promise<string> {
  const db = postgresClient(r.databaseUrl, { max: 1 });
  try {
    const [row] = await db`select storage_key from object_metadata where object_key = ${key}`;
    return join(r.storageDir, row!.storage_key as string);
  } finally {
    await db.end();
  }
}
/** Flips one byte of the stored file in place (same length: only the hash can tell). */
async function corrupt(r: TestRegion, key: string, at: "first" | "last"): Promise<void> {
  const f = await open(await pathOf(r, key), "r+");
  try {
    const { size } = await f.stat();
    const pos = at === "first" ? 0 : size - 1;
    const b = Buffer.alloc(1);
    await f.read(b, 0, 1, pos);
    b[0] = b[0]! ^ 0xff;
    await f.write(b, 0, 1, pos);
  } finally {
    await f.close();
  }
}
const status = async (db: postgres.Sql, key: string) => (await db`select compliance_status from object_metadata where object_key = ${key}`)[0]?.compliance_status as string;
const events = (db: postgres.Sql, key: string) =>
  db`select severity, details from compliance_events where event_type = 'integrity_mismatch' and object_key = ${key}`;

/** curl, a real client: its exit code says whether the transfer completed (18: partial file). */
async function curl(url: string, headers: Record<string, string>): Promise<{ code: number; bytes: number; http: string }> {
  const args = ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]), url];
  try {
    const { stdout } = await execFileAsync("curl", args);
    const [http, bytes] = stdout.trim().split(" ");
    return { code: 0, bytes: Number(bytes), http: http! };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    const [http, bytes] = e.stdout.trim().split(" ");
    return { code: e.code, bytes: Number(bytes), http: http! };
  }
}

beforeAll(async () => {
  region = await startTestRegion("DE-FRA");
  sql = postgresClient(region.databaseUrl, { max: 1 });
  client = await registerWithBuckets(region.url, "damage-co", ["vault"], { customer_name: "Damage Co", country: "Germany" });
  for (const [key, body] of [["small.bin", SMALL], ["small-range.bin", SMALL], ["large.bin", LARGE], ["large-first.bin", LARGE], ["intact.bin", LARGE], ["large-range.bin", LARGE], ["gone.bin", SMALL], ["gone-large.bin", LARGE]] as const) {
    expect((await client(`/vault/${key}`, { method: "PUT", body })).status).toBe(200);
  }
});
afterAll(async () => {
  await sql?.end();
  await region?.destroy();
  await scrubbed?.destroy();
});

describe("damaged bytes are never served whole", () => {
  it("an intact large object streams whole and verified", async () => {
    const res = await client("/vault/intact.bin");
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(LARGE));
    expect(await status(sql, "intact.bin")).toBe("compliant");
  });

  it("a small damaged object is refused before the first byte (503), marked integrity_failed, one critical event", async () => {
    await corrupt(region, "small.bin", "last");
    for (let i = 0; i < 2; i++) {
      const res = await client("/vault/small.bin");
      const body = await res.text();
      expect(res.status).toBe(503);
      expect(body).toContain("<Code>ServiceUnavailable</Code>");
      expect(body).toContain("failed integrity verification");
    }
    expect(await status(sql, "small.bin")).toBe("integrity_failed");
    const ev = await events(sql, "small.bin");
    expect(ev).toHaveLength(1); // the second GET does not repeat it
    expect(ev[0]).toMatchObject({ severity: "critical", details: { reason: "hash_mismatch", detected_by: "read", expected_sha256: sha256(SMALL) } });
  });

  it("a range of a small damaged object is refused too (the whole object is checked first)", async () => {
    await corrupt(region, "small-range.bin", "last");
    const res = await client("/vault/small-range.bin", { headers: { range: "bytes=0-99" } });
    expect(res.status).toBe(503);
    expect(await status(sql, "small-range.bin")).toBe("integrity_failed");
  });

  it("a large object damaged at its end: the transfer fails short of Content-Length (fetch and curl), marked, event raised", async () => {
    await corrupt(region, "large.bin", "last");
    const res = await client("/vault/large.bin");
    expect(res.status).toBe(200); // headers were sent before the damage could be seen
    expect(res.headers.get("content-length")).toBe(String(LARGE.length));
    await expect(res.arrayBuffer()).rejects.toThrow();

    const c = await curl(`${region.url}/s3/vault/large.bin`, { "x-customer-id": "damage-co" });
    expect(c.code).not.toBe(0);
    expect(c.bytes).toBeLessThan(LARGE.length);

    expect(await status(sql, "large.bin")).toBe("integrity_failed");
    const ev = await events(sql, "large.bin");
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ severity: "critical", details: { reason: "hash_mismatch", detected_by: "read" } });
  });

  it("a large object damaged at its start is refused before the first byte (its first segment fails to authenticate)", async () => {
    await corrupt(region, "large-first.bin", "first");
    const c = await curl(`${region.url}/s3/vault/large-first.bin`, { "x-customer-id": "damage-co" });
    expect(c.http).toBe("503");
    expect(c.bytes).toBeLessThan(LARGE.length);
    expect(await status(sql, "large-first.bin")).toBe("integrity_failed");
  });

  it("a range of a large object is served as stored (documented: a part cannot be checked against the whole-object hash)", async () => {
    await corrupt(region, "large-range.bin", "last");
    const res = await client("/vault/large-range.bin", { headers: { range: "bytes=0-1023" } });
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer()).equals(LARGE.subarray(0, 1024))).toBe(true);
  });

  it("missing bytes (blob deleted underneath) are an integrity failure with its event, never a 500", async () => {
    for (const key of ["gone.bin", "gone-large.bin"]) {
      await unlink(await pathOf(region, key));
      const res = await client(`/vault/${key}`);
      const body = await res.text();
      expect(res.status).toBe(503);
      expect(body).toContain("<Code>ServiceUnavailable</Code>");
      expect(body).toContain("are missing");
      expect(await status(sql, key)).toBe("missing_data");
      const ev = await events(sql, key);
      expect(ev).toHaveLength(1);
      expect(ev[0]).toMatchObject({ severity: "critical", details: { reason: "missing_data", detected_by: "read" } });
    }
  });
});

describe("background integrity scrub", () => {
  it("finds damage nobody reads, marks the object and raises the same event; heals nothing that is broken", async () => {
    scrubbed = await startTestRegion("DE-FRA", { integrityScrubIntervalMs: 100, integrityScrubObjectsPerSecond: 50 });
    const c = await registerWithBuckets(scrubbed.url, "scrub-co", ["cold"], { customer_name: "Scrub Co", country: "Germany" });
    for (const key of ["a.bin", "b.bin", "c.bin"]) expect((await c(`/cold/${key}`, { method: "PUT", body: SMALL })).status).toBe(200);
    const db = postgresClient(scrubbed.databaseUrl, { max: 1 });
    try {
      await corrupt(scrubbed, "b.bin", "first");
      await unlink(await pathOf(scrubbed, "c.bin"));
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && ((await status(db, "b.bin")) !== "integrity_failed" || (await status(db, "c.bin")) !== "missing_data")) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await status(db, "b.bin")).toBe("integrity_failed");
      expect(await status(db, "c.bin")).toBe("missing_data");
      expect(await status(db, "a.bin")).toBe("compliant");
      expect((await events(db, "b.bin"))[0]).toMatchObject({ severity: "critical", details: { reason: "hash_mismatch", detected_by: "scrub" } });
      expect((await events(db, "c.bin"))[0]).toMatchObject({ severity: "critical", details: { reason: "missing_data", detected_by: "scrub" } });
      // Later passes do not repeat the events.
      await new Promise((r) => setTimeout(r, 500));
      expect(await events(db, "b.bin")).toHaveLength(1);
      const [verified] = await db`select count(*)::int as n from object_metadata where last_verified_at is not null`;
      expect(verified?.n).toBe(3);
    } finally {
      await db.end();
    }
  });
});
