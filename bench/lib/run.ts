// What both benchmark scripts share: the cleanups of the system being measured (run newest
// first when it is done, when the run fails, or on Ctrl-C), the systems they can start, and
// the machine line of a report.
import { spawnSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";
import { REPO_ROOT } from "../../test/support/processes.ts";
import { startEmbeddedStack } from "./gateway-embedded.ts";
import { startPostgresGateway } from "./gateway-postgres.ts";
import { startReference } from "./reference.ts";
import { startRgw } from "./rgw.ts";
import type { RunningSystem } from "./system.ts";

export class Cleanups {
  private readonly fns: (() => Promise<void>)[] = [];
  readonly add = (fn: () => Promise<void>): void => void this.fns.push(fn);

  async run(): Promise<void> {
    while (this.fns.length) await this.fns.pop()!().catch((e: Error) => process.stderr.write(`[bench] cleanup: ${e.message}\n`));
  }

  /** On SIGINT/SIGTERM: this run's cleanups, then `last`, then exit. */
  onSignals(last: () => Promise<void>): void {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        process.stderr.write(`[bench] ${signal}: cleaning up\n`);
        void this.run().finally(last).finally(() => process.exit(130));
      });
    }
  }
}

export type Starter = () => Promise<RunningSystem | { unavailable: string }>;

export function starters(opts: { workDir: string; logLevel: string; cleanups: Cleanups }): Record<string, Starter> {
  const cleanup = opts.cleanups.add;
  return {
    reference: () => startReference({ workDir: opts.workDir, cleanup }),
    rgw: () => startRgw({ cleanup }),
    postgres: () => startPostgresGateway({ workDir: opts.workDir, logLevel: opts.logLevel, cleanup }),
    "postgres-plain": () => startPostgresGateway({ workDir: opts.workDir, logLevel: opts.logLevel, cleanup, encrypt: false }),
    "postgres-2": () => startPostgresGateway({ workDir: opts.workDir, logLevel: opts.logLevel, cleanup, regionProcesses: 2 }),
    embedded: () => startEmbeddedStack({ workDir: opts.workDir, logLevel: opts.logLevel, cleanup }),
  };
}

/**
 * Starts each named system in turn and measures it alone (the others stopped): `measure` for a
 * running one, `unavailable` for one that could not start (RGW without its packages). A failed
 * measurement carries the system's log tail. Returns the 1-minute load average at each start.
 */
export async function measureEach<R>(opts: {
  systems: readonly string[];
  start: Record<string, Starter>;
  cleanups: Cleanups;
  results: R[];
  measure: (system: RunningSystem) => Promise<R>;
  unavailable: (reason: string) => R;
}): Promise<string[]> {
  const loads: string[] = [];
  for (const id of opts.systems) {
    const starter = opts.start[id];
    if (!starter) throw new Error(`unknown system ${id} in BENCH_SYSTEMS (known: ${Object.keys(opts.start).join(", ")})`);
    say(`starting ${id}`);
    loads.push(`${id} ${loadavg()[0]!.toFixed(2)}`);
    try {
      const system = await starter();
      if ("unavailable" in system) {
        say(`${id}: not available (${system.unavailable})`);
        opts.results.push(opts.unavailable(system.unavailable));
      } else {
        opts.results.push(await opts.measure(system).catch((err: Error) => {
          throw new Error(`${system.name}: ${err.message}\n${system.logs()}`, { cause: err });
        }));
        await system.stop();
      }
    } finally {
      await opts.cleanups.run();
    }
  }
  return loads;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`;
}

export const say = (m: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** The commit measured, and whether other people's uncommitted changes were in the tree too. */
export function revision(): string {
  const git = (args: string[]) => spawnSync("git", args, { cwd: REPO_ROOT, encoding: "utf8", timeout: 10_000 }).stdout?.trim() ?? "";
  const head = git(["rev-parse", "--short", "HEAD"]) || "unknown";
  const dirty = git(["status", "--porcelain", "--untracked-files=no", "--", "apps", "packages", "schema", "scripts"]).split("\n").filter(Boolean).length;
  return dirty ? `${head} + ${dirty} uncommitted app file${dirty === 1 ? "" : "s"}` : head;
}
