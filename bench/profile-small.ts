// `node bench/profile-small.ts`: one operation's CPU profile (issue 9's "where a GET's time went").
// Starts the Postgres-backed stack with `--cpu-prof` in a fresh directory, seeds, runs one wrk
// load of one operation at one endpoint, stops the stack (V8 writes the profiles on exit) and
// prints bench/profile-summary.ts's tables for the process that served it. Startup and seeding
// are in the profile too; the load dominates it (PROFILE_DURATION_S of saturation).
//
// Environment: PROFILE_OP (get | put, default get), PROFILE_ENDPOINT (direct | global, default
// direct: the regional gateway's own profile), PROFILE_CONNECTIONS (16), PROFILE_DURATION_S (8),
// PROFILE_DIR (kept; default a temporary directory), PROFILE_TOP (25), ENCRYPT_OBJECTS (as the stack).
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../test/support/processes.ts";
import { startPostgresGateway } from "./lib/gateway-postgres.ts";
import { Cleanups } from "./lib/run.ts";
import { prepareSmallLoad } from "./lib/small-load.ts";
import { runWrk } from "./lib/wrk.ts";

const OP = (process.env.PROFILE_OP ?? "get") as "get" | "put";
const ENDPOINT = process.env.PROFILE_ENDPOINT ?? "direct";
const CONNECTIONS = Number(process.env.PROFILE_CONNECTIONS ?? 16);
const DURATION_S = Number(process.env.PROFILE_DURATION_S ?? 8);
if (!["get", "put"].includes(OP) || !["direct", "global"].includes(ENDPOINT)) throw new Error("PROFILE_OP get|put, PROFILE_ENDPOINT direct|global");
if (!(DURATION_S > 0 && DURATION_S <= 20)) throw new Error("PROFILE_DURATION_S must be within 1..20 (every load is bounded)");
const N = 200;

const work = await mkdtemp(join(tmpdir(), "s3gw-profile-"));
const profDir = process.env.PROFILE_DIR ?? join(work, "profiles");
process.env.BENCH_CPU_PROF_DIR = profDir;
const cleanups = new Cleanups();
cleanups.onSignals(() => rm(work, { recursive: true, force: true }));
let result;
let pids: Record<string, number> = {};
try {
  const system = await startPostgresGateway({ workDir: work, logLevel: "warn", cleanup: cleanups.add, encrypt: process.env.ENCRYPT_OBJECTS !== "false" });
  pids = await system.pids();
  const target = system.endpoints.find((e) => e.id === (ENDPOINT === "direct" ? "pg-direct" : "pg-global"))!.target;
  const load = await prepareSmallLoad(target, OP, work, N);
  result = await runWrk({ ...load, connections: CONNECTIONS, durationS: DURATION_S });
} finally {
  await cleanups.run();
}
console.log(`${OP.toUpperCase()} ${ENDPOINT} c=${CONNECTIONS}: ${result?.okPerSecond.toFixed(0)} req/s, p50 ${result?.p50Ms.toFixed(1)} ms, p99 ${result?.p99Ms.toFixed(1)} ms\n`);
const files = await readdir(profDir);
for (const [name, pid] of Object.entries(pids)) {
  if (ENDPOINT === "direct" && name === "global-router") continue;
  const file = files.find((f) => f.includes(`.${pid}.`));
  if (!file) continue;
  console.log(`### ${name}`);
  spawnSync(process.execPath, [join(REPO_ROOT, "bench", "profile-summary.ts"), join(profDir, file), process.env.PROFILE_TOP ?? "25"], { stdio: "inherit" });
}
if (!process.env.PROFILE_DIR) await rm(work, { recursive: true, force: true });
