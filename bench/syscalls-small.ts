// `node bench/syscalls-small.ts`: what one small request costs in system calls and Postgres
// protocol messages, counted with strace on the regional gateway while wrk runs a bounded load of
// one operation directly at it (issue 9: where a request's round trips go). Unlike req/s, the
// counts do not depend on what else the machine is doing.
// Two passes: `strace -c` (every system call, per request), then a trace of the socket writes
// (Postgres messages per request: Parse = a statement parsed again, Bind = one run, Query = simple).
// Environment: SYSCALLS_OP (get | put, default put), SYSCALLS_ENDPOINT (direct | global, default
// direct; via global the router is traced, else FI-HEL), SYSCALLS_CONNECTIONS (16), SYSCALLS_DURATION_S (3).
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgresGateway } from "./lib/gateway-postgres.ts";
import { Cleanups } from "./lib/run.ts";
import { prepareSmallLoad } from "./lib/small-load.ts";
import { runWrk } from "./lib/wrk.ts";

const OP = (process.env.SYSCALLS_OP ?? "put") as "get" | "put";
const ENDPOINT = process.env.SYSCALLS_ENDPOINT ?? "direct";
if (!["direct", "global"].includes(ENDPOINT)) throw new Error("SYSCALLS_ENDPOINT direct|global");
const CONNECTIONS = Number(process.env.SYSCALLS_CONNECTIONS ?? 16);
const DURATION_S = Number(process.env.SYSCALLS_DURATION_S ?? 3);
if (!["get", "put"].includes(OP)) throw new Error("SYSCALLS_OP get|put");
if (!(DURATION_S > 0 && DURATION_S <= 20)) throw new Error("SYSCALLS_DURATION_S must be within 1..20 (every load is bounded)");
const N = 200;

const work = await mkdtemp(join(tmpdir(), "s3gw-syscalls-"));
const cleanups = new Cleanups();
cleanups.onSignals(() => rm(work, { recursive: true, force: true }));

/** Runs one bounded load with strace attached to `pid`; the number of requests answered and strace's output. */
async function traced(pid: number, straceArgs: string[], load: Parameters<typeof runWrk>[0]): Promise<{ requests: number; output: string }> {
  const out = join(work, "strace.txt");
  const strace = spawn("strace", ["-f", ...straceArgs, "-o", out, "-p", String(pid)], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 500));
  const result = await runWrk(load);
  strace.kill("SIGINT");
  await new Promise((r) => strace.once("exit", r));
  return { requests: result.okPerSecond * DURATION_S, output: await readFile(out, "utf8") };
}

try {
  const system = await startPostgresGateway({ workDir: work, logLevel: "warn", cleanup: cleanups.add, encrypt: process.env.ENCRYPT_OBJECTS !== "false" });
  const tracedProcess = ENDPOINT === "direct" ? "FI-HEL" : "global-router";
  const pid = (await system.pids())[tracedProcess]!;
  const target = system.endpoints.find((e) => e.id === (ENDPOINT === "direct" ? "pg-direct" : "pg-global"))!.target;
  const load = { ...(await prepareSmallLoad(target, OP, work, N)), connections: CONNECTIONS, durationS: DURATION_S };

  const counted = await traced(pid, ["-c"], load);
  console.log(`${OP.toUpperCase()} ${ENDPOINT === "direct" ? "FI-HEL directly" : "via global"}, ${tracedProcess} traced, ${CONNECTIONS} connections, ${DURATION_S} s under strace: ~${counted.requests.toFixed(0)} requests\n`);
  console.log("| system call | per request |\n|---|---:|");
  for (const line of counted.output.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^\d/.test(f[0]!) || f[f.length - 1] === "total") continue;
    const perRequest = Number(f[3]) / counted.requests;
    if (perRequest >= 0.05) console.log(`| ${f[f.length - 1]} | ${perRequest.toFixed(2)} |`);
  }

  // Postgres frontend messages start a socket write: P(arse), B(ind), Q(uery). The HTTP answer is a writev.
  const writes = await traced(pid, ["-y", "-e", "trace=write,writev"], load);
  const counts = new Map<string, number>();
  for (const m of writes.output.matchAll(/write\(\d+<(?:socket|UNIX)[^>]*>, "([A-Za-z])\\0/g)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  const names: Record<string, string> = { P: "Parse (a statement parsed and planned again)", B: "Bind (a prepared statement run)", Q: "Query (simple: BEGIN and the like)" };
  console.log("\n| Postgres messages starting a socket write | per request |\n|---|---:|");
  for (const [k, label] of Object.entries(names)) console.log(`| ${label} | ${((counts.get(k) ?? 0) / writes.requests).toFixed(2)} |`);
} finally {
  await cleanups.run();
  await rm(work, { recursive: true, force: true });
}
