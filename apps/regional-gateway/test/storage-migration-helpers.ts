import { expect } from "vitest";
import { adminAuth } from "./harness.ts";

export interface RunView {
  migration_id: string;
  status: string;
  total: number;
  processed: number;
  migrated: number;
  skipped: number;
  failed: number;
  bytes: number;
  dry_run: boolean;
  issues: { bucket: string; key: string; outcome: string; reason: string }[];
  error: string | null;
  protection_override: { by: string; reason: string } | null;
}

/** POST /api/storage-migrations; the answer's status and body. */
export async function startMigration(url: string, body: Record<string, unknown>, auth: Record<string, string> = adminAuth) {
  const res = await fetch(`${url}/api/storage-migrations`, { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as RunView & { error: { code: string; message: string } } };
}

export async function getMigration(url: string, id: string): Promise<RunView> {
  const res = await fetch(`${url}/api/storage-migrations/${id}`, { headers: adminAuth });
  expect(res.status).toBe(200);
  return (await res.json()) as RunView;
}

/** Polls a run until it has ended (bounded). */
export async function waitMigration(url: string, id: string, until: (r: RunView) => boolean = (r) => !["running", "cancelling"].includes(r.status), timeoutMs = 60_000): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getMigration(url, id);
    if (until(r)) return r;
    if (Date.now() > deadline) throw new Error(`migration ${id} still ${r.status} after ${timeoutMs} ms (${r.processed}/${r.total})`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** Starts a run and waits for its end: the summary. */
export async function migrate(url: string, body: Record<string, unknown>): Promise<RunView> {
  const started = await startMigration(url, body);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return waitMigration(url, started.body.migration_id);
}
