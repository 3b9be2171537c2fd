// Process helpers for the benchmarks: resident memory from /proc, the children of a launcher,
// a sampler of peak RSS while load runs, and stopping a child we spawned (by its pid only).
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdir, readFile } from "node:fs/promises";

/** VmRSS of one process in MiB; 0 once it is gone. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Direct children of a process (every thread's children list, as the kernel keeps them per task). */
export async function childPids(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const found = new Set<number>();
  for (const t of tasks) {
    const list = await readFile(`/proc/${pid}/task/${t}/children`, "utf8").catch(() => "");
    for (const p of list.trim().split(/\s+/).filter(Boolean)) found.add(Number(p));
  }
  return [...found];
}

export interface RssReading {
  /** per process name, MiB */
  each: Record<string, number>;
  /** all processes together, MiB (for a peak: the largest sum seen in one sample) */
  total: number;
}

export async function readRss(pids: Record<string, number>): Promise<RssReading> {
  const each: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) each[name] = await rssMiB(pid);
  return { each, total: Object.values(each).reduce((a, b) => a + b, 0) };
}

/** Samples every 100 ms until stopped; keeps each process's peak and the peak of the sum. */
export class RssSampler {
  private readonly peak: RssReading;
  private readonly timer: NodeJS.Timeout;
  private busy = false;
  private readonly pids: Record<string, number>;

  constructor(pids: Record<string, number>) {
    this.pids = pids;
    this.peak = { each: Object.fromEntries(Object.keys(pids).map((k) => [k, 0])), total: 0 };
    this.timer = setInterval(() => void this.sample(), 100);
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const now = await readRss(this.pids);
    for (const [k, v] of Object.entries(now.each)) this.peak.each[k] = Math.max(this.peak.each[k] ?? 0, v);
    this.peak.total = Math.max(this.peak.total, now.total);
    this.busy = false;
  }

  async stop(): Promise<RssReading> {
    clearInterval(this.timer);
    await this.sample();
    return this.peak;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`, to one child we started; resolves once it exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** SIGKILL to a pid that is still alive (children a launcher failed to stop). */
export function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 0);
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** BENCH_CPU_PROF_DIR: every gateway process writes a V8 CPU profile there when it stops. */
export function cpuProfileEnv(): Record<string, string> {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  return dir ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --cpu-prof --cpu-prof-dir=${dir}`.trim() } : {};
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

/** User + system CPU seconds a process has used, all its threads together; 0 once it is gone. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds per name, each name summing its processes. */
export async function readCpu(pids: Record<string, number[]>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, list] of Object.entries(pids)) {
    let sum = 0;
    for (const pid of list) sum += await cpuSeconds(pid);
    out[name] = sum;
  }
  return out;
}

/** CPU milliseconds per successful request, per name, between two readings. */
export function cpuPerRequest(before: Record<string, number>, after: Record<string, number>, requests: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, requests > 0 ? ((after[k]! - (before[k] ?? 0)) * 1000) / requests : 0]));
}
