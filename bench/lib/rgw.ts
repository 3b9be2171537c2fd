// Ceph RGW as the peer to beat: bench/rgw/start.sh brings up a throwaway single-node cluster on
// loopback (state in /tmp/s3gw-bench-rgw, S3 on 127.0.0.1:7480), bench/rgw/stop.sh --purge
// stops exactly its daemons and removes the state. Either it is up within the time bound and
// answers a signed request, or the benchmark reports why not.
import { spawn, spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/support/processes.ts";
import { s3Send } from "./presign.ts";
import type { RunningSystem } from "./system.ts";

export const RGW_DIR = process.env.BENCH_RGW_DIR ?? "/tmp/s3gw-bench-rgw";
const START_TIMEOUT_MS = 90_000;
// The well-known vstart.sh / s3-tests user bench/rgw/start.sh creates (public test keys, loopback only).
const TARGET = { endpoint: "http://127.0.0.1:7480", accessKeyId: "0555b35654ad1656d804", secretAccessKey: "h7GhxuBLTrlhVUyxSPUKUV8r/2EI4ngqJxD7iBdBYLhwluN30JaT3Q==", region: "us-east-1" };

function script(name: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [join(REPO_ROOT, "bench", "rgw", name), ...args], { env: { ...process.env, BENCH_RGW_DIR: RGW_DIR }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => {
      output += `\n(timed out after ${timeoutMs / 1000} s)`;
      child.kill("SIGTERM");
    }, timeoutMs);
    child.once("error", (e) => (output += e.message));
    child.once("close", (code) => (clearTimeout(timer), resolve({ code, output })));
  });
}

export async function stopRgw(): Promise<void> {
  const r = await script("stop.sh", process.env.BENCH_RGW_KEEP ? [] : ["--purge"], 120_000);
  if (r.code !== 0) process.stderr.write(`[bench] stopping RGW: ${r.output}\n`);
}

/** The running RGW, or the reason it is not available. */
export async function startRgw(opts: { cleanup: (fn: () => Promise<void>) => void }): Promise<RunningSystem | { unavailable: string }> {
  opts.cleanup(stopRgw);
  const r = await script("start.sh", [], START_TIMEOUT_MS);
  if (r.code !== 0) {
    const last = r.output.trim().split("\n").filter((l) => /ERROR|timed out|not installed|in use/.test(l)).pop() ?? r.output.trim().split("\n").pop() ?? "";
    return { unavailable: last.replace(/^\[rgw\/start\.sh\] ERROR: /, "") || `start.sh exited with ${r.code}` };
  }
  try {
    await s3Send(TARGET, "GET", "/");
  } catch (err) {
    return { unavailable: `a signed ListBuckets failed: ${(err as Error).message.slice(0, 200)}` };
  }
  const pid = async (name: string) => Number((await readFile(join(RGW_DIR, "run", `${name}.pid`), "utf8").catch(() => "0")).trim());
  return {
    name: "Ceph RGW",
    endpoints: [{ label: "Ceph RGW (single node, BlueStore on a file, loopback)", id: "rgw", target: TARGET }],
    logs: () => `(RGW logs: ${RGW_DIR}/log)`,
    pids: async () => ({ radosgw: await pid("client.rgw.a"), "ceph-osd": await pid("osd.0"), "ceph-mon": await pid("mon.a") }),
    stop: stopRgw,
  };
}

/** "ceph version 16.2.15 (...) pacific (stable)", shortened. */
export function rgwVersion(): string {
  const out = spawnSync("/usr/bin/radosgw", ["--version"], { encoding: "utf8", timeout: 10_000 }).stdout ?? "";
  return out.trim().replace(/\s*\([0-9a-f]{20,}\)/, "") || "unknown version";
}
