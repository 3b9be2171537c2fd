// The embedded default's durability: an acknowledged operation, and its audit row, survive the
// process being killed outright (SIGKILL: no shutdown, no checkpoint, the PGlite threads gone
// mid-statement). See packages/db/src/pglite-settings.ts for why: COMMIT answers only after its
// WAL record was written to the kernel, and the next start replays the WAL.
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort, spawnNode, waitForHealth } from "./support/processes.ts";

let dataDir: string;
let ports: Record<string, string>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "s3gw-embedded-crash-"));
  ports = { GLOBAL_PORT: String(await freePort()), FI_HEL_PORT: String(await freePort()), DE_FRA_PORT: String(await freePort()), US_EAST_PORT: String(await freePort()) };
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

async function startEmbedded() {
  // Started without the allocator setting the harness gives other processes: the stack must set it itself.
  const stack = spawnNode("scripts/start-stack.ts", { DATA_DIR: dataDir, LOG_LEVEL: "warn", MALLOC_MMAP_THRESHOLD_: "", ...ports });
  const exited = once(stack.child, "exit");
  for (const p of Object.values(ports)) await waitForHealth(`http://127.0.0.1:${p}`, 90_000);
  return { ...stack, exited };
}

interface Acked { key: string; body: string; requestId: string }

/**
 * A GET after the restart: this process's keep-alive pool may still hold sockets to the killed
 * stack (same ports), and reusing one fails with "other side closed" before a byte is sent to
 * the new stack. A client retries an idempotent request on such a stale socket; so does this.
 */
async function freshGet(url: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      const code = ((err as { cause?: { code?: string } }).cause ?? {}).code;
      if (attempt >= 8 || (code !== "UND_ERR_SOCKET" && code !== "ECONNRESET")) throw err;
    }
  }
}

it("keeps every acknowledged PUT and its audit row when the embedded stack is killed with SIGKILL mid-load", { timeout: 300_000 }, async () => {
  const global = `http://127.0.0.1:${ports.GLOBAL_PORT}`;
  const fi = `http://127.0.0.1:${ports.FI_HEL_PORT}`;
  const first = await startEmbedded();
  // One process for the four apps (no children: the databases are threads of it), started with
  // the settings that keep it small (scripts/start-stack.ts replaces itself to get them).
  const pid = first.child.pid!;
  expect((await readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).trim()).toBe("");
  expect((await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0")).toContain("--liftoff-only");
  const environ = (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0");
  expect(environ).toContain("MALLOC_ARENA_MAX=2");
  expect(environ).toContain("MALLOC_MMAP_THRESHOLD_=131072");
  const admin = { authorization: `Bearer ${(await readFile(join(dataDir, "admin-token"), "utf8")).trim()}` };
  expect((await fetch(`${global}/routing/customers/crash-co?region_id=FI-HEL`, { method: "POST", headers: admin })).status).toBe(201);
  const reg = await fetch(`${fi}/api/customers/crash-co/register`, {
    method: "POST",
    headers: { "content-type": "application/json", ...admin },
    body: JSON.stringify({ customer_name: "Crash Co", country: "Finland", data_residency_requirement: "strict", primary_contact_email: "a@crash.fi", compliance_officer_email: "d@crash.fi" }),
  });
  expect(reg.status).toBe(201);
  const h = { "x-customer-id": "crash-co" };
  expect((await fetch(`${global}/s3/docs`, { method: "PUT", headers: h })).status).toBe(200);

  // Eight writers; the process is killed in the same tick as the 40th acknowledgement, with
  // the other writers' requests (and their statements) still in flight.
  const acked: Acked[] = [];
  let killed = false;
  const writer = async (w: number) => {
    for (let n = 0; !killed; n++) {
      const key = `w${w}/obj-${n}`;
      const body = `bytes of writer ${w}, object ${n}`;
      try {
        const res = await fetch(`${global}/s3/docs/${key}`, { method: "PUT", headers: h, body });
        await res.arrayBuffer();
        if (res.status !== 200 || killed) continue;
        acked.push({ key, body, requestId: res.headers.get("x-amz-request-id") ?? "" });
        if (acked.length >= 40 && !killed) {
          killed = true;
          first.child.kill("SIGKILL");
        }
      } catch {
        // refused once the process is gone
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
  const [, signal] = await first.exited;
  expect(signal).toBe("SIGKILL");
  expect(acked.length).toBeGreaterThanOrEqual(40);

  // The killed stack's lock is stale; the next start takes it over and recovers the databases.
  const second = await startEmbedded();
  try {
    for (const a of acked) {
      const res = await freshGet(`${global}/s3/docs/${a.key}`, { headers: h });
      expect(res.status, a.key).toBe(200);
      expect(await res.text()).toBe(a.body);
    }
    const audited = new Map<string, { result: string; operation: string; key: string }>();
    for (let cursor: string | null = ""; cursor !== null; ) {
      const page = (await (await freshGet(`${fi}/api/audit/operations?customer_id=crash-co&limit=500${cursor ? `&cursor=${cursor}` : ""}`, { headers: admin })).json()) as {
        items: { request_id: string; result: string; operation: string; key: string }[];
        next_cursor: string | null;
      };
      for (const row of page.items) audited.set(row.request_id, row);
      cursor = page.next_cursor;
    }
    for (const a of acked) expect(audited.get(a.requestId), `audit row of ${a.key} (${a.requestId})`).toMatchObject({ result: "success", key: a.key });
    const verify = (await (await freshGet(`${fi}/api/audit/verify`, { headers: admin })).json()) as { intact: boolean };
    expect(verify.intact).toBe(true);
  } finally {
    second.child.kill("SIGINT");
    const [code] = await second.exited;
    expect(code, second.output()).toBe(0);
  }
});
