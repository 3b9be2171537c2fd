import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireDataDirLock, DataDirLockedError, LOCK_FILE } from "../../scripts/stack-data-dir.ts";
import { freePort, spawnNode, waitForHealth } from "../support/processes.ts";

// The embedded stack's data directory (databases, objects, keys, secrets) is private to its
// user, and a second stack on the same directory is refused. PGlite files were 0666 before.

const dirs: string[] = [];
const newDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "s3gw-private-"));
  dirs.push(d);
  return d;
};

/** A live process that is not this one: holds a lock in the tests that need a living holder. */
function sleeper() {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)"], { stdio: "ignore" });
  return { pid: child.pid!, stop: async () => { child.kill("SIGKILL"); await once(child, "exit").catch(() => {}); } };
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid!;
}

const ports = async () => ({
  GLOBAL_PORT: String(await freePort()),
  FI_HEL_PORT: String(await freePort()),
  DE_FRA_PORT: String(await freePort()),
  US_EAST_PORT: String(await freePort()),
});

/** Every path under `dir` whose mode is not private (0700 directories, 0600 files). */
function notPrivate(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    const mode = st.mode & 0o777;
    if (st.isDirectory()) {
      if (mode !== 0o700) out.push(`${p} ${mode.toString(8)}`);
      for (const e of readdirSync(p)) walk(join(p, e));
    } else if (mode !== 0o600) out.push(`${p} ${mode.toString(8)}`);
  };
  walk(dir);
  return out;
}

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("the data directory lock", () => {
  let holder: ReturnType<typeof sleeper>;
  beforeAll(() => {
    holder = sleeper();
  });
  afterAll(() => holder.stop());

  it("refuses a second holder while the first lives, naming its pid and start time", async () => {
    const dir = await newDir();
    const first = acquireDataDirLock(dir, holder.pid);
    const lock = JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")) as { pid: number; started_at: string };
    expect(lock.pid).toBe(holder.pid);
    expect(Date.parse(lock.started_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(lstatSync(join(dir, LOCK_FILE)).mode & 0o777).toBe(0o600);
    let refused: unknown;
    try {
      acquireDataDirLock(dir);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as Error).message).toContain(`process ${holder.pid}, started ${lock.started_at}`);
    // Only the holder's release removes it.
    first.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("takes over the stale lock of a dead process", async () => {
    const dir = await newDir();
    const dead = await deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, started_at: "2020-01-01T00:00:00.000Z" }));
    const lock = acquireDataDirLock(dir);
    expect(lock.tookOver).toEqual({ pid: dead, started_at: "2020-01-01T00:00:00.000Z" });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("makes npm start refuse a data directory another live stack holds, before starting anything", async () => {
    const dir = await newDir();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: holder.pid, started_at: "2026-01-01T00:00:00.000Z" }));
    const p = await ports();
    const second = spawnNode("scripts/start-stack.ts", { DATA_DIR: dir, LOG_LEVEL: "warn", ...p });
    const [code] = await once(second.child, "exit");
    expect(code).toBe(1);
    expect(second.output()).toContain(`is in use by another stack: process ${holder.pid}, started 2026-01-01T00:00:00.000Z`);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid).toBe(holder.pid);
    await expect(fetch(`http://127.0.0.1:${p.FI_HEL_PORT}/health`)).rejects.toThrow();
  });
});

describe("npm start on a private data directory", () => {
  it("keeps every file 0600 and directory 0700 (PGlite's included), and refuses a second stack on it", async () => {
    const dir = await newDir();
    // Left by an older version: world-readable, must be tightened at start.
    mkdirSync(join(dir, "fi-hel"), { mode: 0o755 });
    writeFileSync(join(dir, "admin-token"), "s3gw_admin_left-from-before\n");
    chmodSync(join(dir, "admin-token"), 0o644);
    chmodSync(dir, 0o755);
    const p = await ports();
    const first = spawnNode("scripts/start-stack.ts", { DATA_DIR: dir, LOG_LEVEL: "warn", ...p });
    const exited = once(first.child, "exit");
    try {
      for (const port of [p.FI_HEL_PORT, p.DE_FRA_PORT, p.US_EAST_PORT, p.GLOBAL_PORT]) await waitForHealth(`http://127.0.0.1:${port}`, 90_000);
      // The launcher announces the stack once it is up (and its files tightened).
      for (let i = 0; i < 100 && !first.output().includes("S3 residency gateway is up."); i++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(join(dir, "fi-hel", "pg"))).toBe(true);
      expect(notPrivate(dir)).toEqual([]);

      const second = spawnNode("scripts/start-stack.ts", { DATA_DIR: dir, LOG_LEVEL: "warn", ...(await ports()) });
      const [code] = await once(second.child, "exit");
      expect(code).toBe(1);
      expect(second.output()).toContain(`is in use by another stack: process ${first.child.pid}`);
      expect((await fetch(`http://127.0.0.1:${p.FI_HEL_PORT}/health`)).status).toBe(200);
    } finally {
      first.child.kill("SIGINT");
      const [code] = await exited;
      expect(code, first.output()).toBe(0);
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(notPrivate(dir)).toEqual([]);
  });
});
