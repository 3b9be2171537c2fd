// Runs wrk (1 thread, N keep-alive connections, bounded duration) over a file of presigned
// requests and parses the JSON line bench/wrk/presigned.lua prints in done().
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/support/processes.ts";

export const WRK = process.env.WRK_BIN ?? "/usr/bin/wrk";
const SCRIPT = join(REPO_ROOT, "bench", "wrk", "presigned.lua");

export interface WrkResult {
  /** 2xx responses per second: other answers never count as throughput */
  okPerSecond: number;
  requests: number;
  /** non-2xx answers, socket errors and timeouts together */
  errors: number;
  errorDetail: string;
  /** the first non-2xx body, for a report of what the server refused */
  sample: string;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface WrkJson {
  non2xx: string; sample: string;
  requests: number; duration_us: number; status_errors: number; connect_errors: number; read_errors: number;
  write_errors: number; timeouts: number; p50_us: number; p99_us: number; max_us: number;
}

/** Writes one request per line for the Lua script: "<METHOD> <path?query>". */
export async function writeRequestFile(file: string, method: "GET" | "PUT", urls: string[]): Promise<void> {
  const lines = urls.map((u) => {
    const url = new URL(u);
    return `${method} ${url.pathname}${url.search}`;
  });
  await writeFile(file, `${lines.join("\n")}\n`);
}

export async function runWrk(opts: {
  /** http://host:port, the Host header wrk sends (and that the URLs were signed for) */
  endpoint: string; requestFile: string; bodyFile?: string; connections: number; durationS: number; logFile?: string;
}): Promise<WrkResult> {
  const args = ["-t1", `-c${opts.connections}`, `-d${opts.durationS}s`, "--timeout", "5s", "--latency", "-s", SCRIPT, opts.endpoint, "--", opts.requestFile];
  if (opts.bodyFile) args.push(opts.bodyFile);
  const child = spawn(WRK, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  // wrk stops itself after -d; this bounds a wrk that hangs (e.g. on a server that never answers).
  const guard = setTimeout(() => child.kill("SIGKILL"), (opts.durationS + 20) * 1000);
  const code = await new Promise<number | null>((res, rej) => {
    child.once("error", rej);
    child.once("close", res);
  }).finally(() => clearTimeout(guard));
  if (opts.logFile) await writeFile(opts.logFile, `wrk ${args.join(" ")}\n${out}`);
  const line = /^WRKJSON (\{.*\})$/m.exec(out)?.[1];
  if (code !== 0 || !line) throw new Error(`wrk exited with ${code}:\n${out.slice(-2000)}`);
  const j = JSON.parse(line) as WrkJson;
  const socketErrors = j.connect_errors + j.read_errors + j.write_errors + j.timeouts;
  const byStatus = new Map<string, number>();
  for (const part of j.non2xx.split(",").filter(Boolean)) {
    const [code, n] = part.split(":");
    byStatus.set(code!, (byStatus.get(code!) ?? 0) + Number(n));
  }
  const non2xx = [...byStatus.values()].reduce((a, b) => a + b, 0);
  const detail = [
    ...[...byStatus].map(([code, n]) => `${n} × ${code}`), j.connect_errors && `${j.connect_errors} connect`, j.read_errors && `${j.read_errors} read`,
    j.write_errors && `${j.write_errors} write`, j.timeouts && `${j.timeouts} timeouts`,
  ].filter(Boolean).join(", ");
  return {
    okPerSecond: Math.max(0, j.requests - non2xx) / (j.duration_us / 1e6),
    requests: j.requests,
    errors: non2xx + socketErrors,
    errorDetail: detail,
    sample: j.sample.trim(),
    p50Ms: j.p50_us / 1000,
    p99Ms: j.p99_us / 1000,
    maxMs: j.max_us / 1000,
  };
}
