// The embedded default: `node scripts/start-stack.ts` (what `npm start` runs) with a temporary
// DATA_DIR and free ports: four processes (global router, FI-HEL, DE-FRA, US-EAST), each on its
// own PGlite database. Memory counts every process of the stack: the launcher and the apps it
// spawned (four children), or the launcher alone when it runs the four apps in itself.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, REPO_ROOT, waitForHealth } from "../../test/support/processes.ts";
import { onboardCustomer, targetsOf } from "./onboard.ts";
import { childPids, cpuProfileEnv, killIfAlive, stopChild } from "./proc.ts";
import type { RunningSystem } from "./system.ts";

export async function startEmbeddedStack(opts: { workDir: string; logLevel: string; cleanup: (fn: () => Promise<void>) => void }): Promise<RunningSystem> {
  const ports = { GLOBAL_PORT: await freePort(), FI_HEL_PORT: await freePort(), DE_FRA_PORT: await freePort(), US_EAST_PORT: await freePort() };
  // An exported ADMIN_TOKEN is what the launcher uses instead of generating DATA_DIR/admin-token;
  // the master keys and the router secret it generates itself, as on a first `npm start`.
  const adminToken = `bench-admin-${randomBytes(16).toString("hex")}`;
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: join(opts.workDir, "embedded-data"), ADMIN_TOKEN: adminToken, LOG_LEVEL: opts.logLevel, ...cpuProfileEnv() };
  for (const k of ["DATABASE_URL", "MASTER_KEYS", "GATEWAY_SHARED_SECRET", "TOPOLOGY_JSON"]) delete env[k];
  for (const [k, v] of Object.entries(ports)) env[k] = String(v);
  const launcher = spawn(process.execPath, [join(REPO_ROOT, "scripts", "start-stack.ts")], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (b: Buffer) => void (output = (output + b.toString()).slice(-20_000));
  launcher.stdout.on("data", keep);
  launcher.stderr.on("data", keep);
  let children: number[] = [];
  opts.cleanup(async () => {
    await stopChild(launcher, 15_000);
    // The launcher stops its children itself; any it left behind (it was killed) go by pid.
    for (const pid of children) killIfAlive(pid);
  });
  const globalUrl = `http://127.0.0.1:${ports.GLOBAL_PORT}`;
  const regionUrl = `http://127.0.0.1:${ports.FI_HEL_PORT}`;
  // The launcher stops everything when one app fails to start: no need to wait out the timeout then.
  const exited = new Promise<never>((_, reject) => launcher.once("exit", (code) => reject(new Error(`start-stack exited (${code}) before the stack was healthy`))));
  exited.catch(() => {}); // it also exits when stopped at the end
  try {
    await Promise.race([exited, Promise.all(Object.values(ports).map((port) => waitForHealth(`http://127.0.0.1:${port}`, 120_000)))]);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- start-stack output:\n${output}`);
  }
  children = await childPids(launcher.pid!);
  const names: [string, number][] = [[children.length ? "start-stack" : "start-stack (all four apps)", launcher.pid!]];
  for (const pid of children) names.push([await appName(pid), pid]);
  const key = await onboardCustomer({ globalUrl, regionUrl, adminToken, customerId: "bench-emb" });
  const t = targetsOf(key, globalUrl, regionUrl);
  return {
    name: "gateway, embedded default",
    endpoints: [
      { label: "gateway, embedded default, via global", id: "emb-global", target: t.global },
      { label: "gateway, embedded default, FI-HEL directly", id: "emb-direct", target: t.direct },
    ],
    logs: () => `--- start-stack (all four apps):\n${output.slice(-10000)}`,
    pids: async () => Object.fromEntries(names),
    stop: async () => {
      await stopChild(launcher, 15_000);
      for (const pid of children) killIfAlive(pid);
    },
  };
}

/** global-router, or the region a gateway child serves (from its environment). */
async function appName(pid: number): Promise<string> {
  const environ = (await readFile(`/proc/${pid}/environ`, "utf8").catch(() => "")).split("\0");
  const region = environ.find((e) => e.startsWith("REGION_ID="))?.slice("REGION_ID=".length);
  return region ?? `global-router`;
}
