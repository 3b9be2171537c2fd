import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@s3gw/db/testing";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generatedBody } from "./support/bytes.ts";
import { streamingPut } from "./support/http.ts";
import { freePort, REPO_ROOT, spawnNode, waitForHealth } from "./support/processes.ts";

let dbUrl: string;
let drop: () => Promise<void>;
let storageDir: string;
let port: number;

beforeAll(async () => {
  ({ url: dbUrl, drop } = await createTestDatabase("crash"));
  storageDir = await mkdtemp(join(tmpdir(), "s3gw-crash-"));
  port = await freePort();
});
afterAll(async () => {
  await drop?.();
  await rm(storageDir, { recursive: true, force: true });
});

function startGateway(extra: Record<string, string> = {}) {
  return spawnNode("apps/regional-gateway/src/server.ts", {
    REGION_ID: "FI-HEL",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: dbUrl,
    STORAGE_DIR: storageDir,
    TOPOLOGY_FILE: join(REPO_ROOT, "infra/topology.local.json"),
    TRUSTED_CUSTOMER_HEADER: "true",
    // A lone region with no global router to confirm the customer's home with.
    ALLOW_STANDALONE_REGISTRATION: "true",
    ADMIN_TOKEN,
    // Objects are encrypted at rest under customer keys, which the master key ring seals.
    MASTER_KEYS: `crash-k1:${Buffer.alloc(32, 3).toString("base64")}`,
    LOG_LEVEL: "warn",
    ...extra,
  });
}

const KEYS = ["k0", "k1", "k2", "k3"];
const ADMIN_TOKEN = "crash-test-admin-token-0123456789";

it("keeps every object whole and matching its SHA-256 after kill -9 during concurrent overwrites", async () => {
  const base = `http://127.0.0.1:${port}`;
  const first = startGateway();
  await waitForHealth(base);
  await fetch(`${base}/api/customers/acme-corp/register`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ customer_name: "Acme", country: "FI", data_residency_requirement: "strict", primary_contact_email: "a@acme.fi", compliance_officer_email: "d@acme.fi" }),
  });
  await fetch(`${base}/s3/docs`, { method: "PUT", headers: { "x-customer-id": "acme-corp" } });

  const attempted = new Map<string, Set<string>>(KEYS.map((k) => [k, new Set()]));
  const acknowledged = new Set<string>();
  let stop = false;
  const writer = async (w: number) => {
    for (let i = 0; !stop && i < 10_000; i++) {
      const key = KEYS[(w + i) % KEYS.length]!;
      const size = 64 * 1024 + ((w * 7919 + i * 104_729) % (3 * 1024 * 1024));
      const body = generatedBody(size, w * 100_000 + i + 1);
      // The digest is known only after the body streamed; record it up front from a twin generator.
      const twin = generatedBody(size, w * 100_000 + i + 1);
      for await (const _ of twin.stream) { /* hash only */ }
      attempted.get(key)!.add(twin.sha256());
      try {
        const res = await streamingPut(`${base}/s3/docs/${key}`, { "x-customer-id": "acme-corp" }, body.stream, size);
        if (res.status === 200) acknowledged.add(key);
      } catch {
        return; // the gateway died under us
      }
    }
  };
  const writers = Array.from({ length: 6 }, (_, w) => writer(w));
  await new Promise((r) => setTimeout(r, 2500));
  first.child.kill("SIGKILL");
  stop = true;
  await Promise.all(writers);
  expect(acknowledged.size).toBeGreaterThan(0);

  const second = startGateway({ STRAY_GRACE_MS: "0" });
  try {
    await waitForHealth(base);
    for (const key of KEYS) {
      const res = await fetch(`${base}/s3/docs/${key}`, { headers: { "x-customer-id": "acme-corp", "x-amz-checksum-mode": "ENABLED" } });
      if (acknowledged.has(key)) expect(res.status, key).toBe(200);
      if (res.status !== 200) continue;
      const bytes = Buffer.from(await res.arrayBuffer());
      const sha = createHash("sha256").update(bytes).digest("hex");
      expect(attempted.get(key)!.has(sha), `${key} holds bytes some writer sent whole`).toBe(true);
      expect(res.headers.get("x-amz-checksum-sha256")).toBe(Buffer.from(sha, "hex").toString("base64"));
      expect(res.headers.get("etag")).toBe(`"${createHash("md5").update(bytes).digest("hex")}"`);
    }

    const sql = postgresClient(dbUrl, { max: 1 });
    try {
      const rows = await sql<{ storage_key: string; size_bytes: string }[]>`select storage_key, size_bytes from object_metadata`;
      // Blobs are sealed: 256 KiB segments, each with a 16-byte GCM tag (an empty blob is one empty segment).
      const sealed = (n: number) => n + 16 * Math.max(1, Math.ceil(n / 262144));
      for (const r of rows) expect((await stat(join(storageDir, r.storage_key))).size).toBe(sealed(Number(r.size_bytes)));
      // The start-up sweep removes bytes of uncommitted writes and of replaced versions.
      const deadline = Date.now() + 15_000;
      let blobs: string[] = [];
      for (;;) {
        blobs = (await readdir(join(storageDir, "tenant-acme-corp"), { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
        const temps = await readdir(join(storageDir, ".tmp"));
        if ((blobs.length === rows.length && temps.length === 0) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(blobs.length).toBe(rows.length);
    } finally {
      await sql.end();
    }
  } finally {
    second.child.kill("SIGTERM");
  }
});
