// A real two-layer stack for the CLI's tests: a global router and two regional gateways on loopback,
// each on a fresh Postgres database, and the CLI run as a child process against them.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { RunningGlobalRouter } from "@s3gw/global-router";
import { ADMIN_TOKEN, startTestRegion, TEST_TOPOLOGY, type TestRegion } from "../../regional-gateway/test/harness.ts";
import { startTestRouter } from "../../../test/support/stack.ts";

export const CLI = fileURLToPath(new URL("../src/main.ts", import.meta.url));
export { ADMIN_TOKEN };

export interface CliStack {
  global: RunningGlobalRouter;
  fi: TestRegion;
  de: TestRegion;
  close(): Promise<void>;
}

/** A global router whose registry names the given regions' endpoints (some may be down). */
export function startRouter(urls: Record<string, string>): ReturnType<typeof startTestRouter> {
  const topology = { regions: TEST_TOPOLOGY.regions.filter((r) => urls[r.region_id]).map((r) => ({ ...r, endpoint: urls[r.region_id]! })) };
  return startTestRouter(topology, { trustedCustomerHeader: true });
}

export async function startCliStack(): Promise<CliStack> {
  const [fi, de] = await Promise.all([startTestRegion("FI-HEL"), startTestRegion("DE-FRA")]);
  const { router: global, close: closeRouter } = await startRouter({ "FI-HEL": fi.url, "DE-FRA": de.url });
  // Regions confirm registrations with the router (signed internal channel), as in a real stack.
  for (const r of [fi, de]) {
    r.deps.config.globalRouterUrl = global.url;
    r.deps.config.publicS3Endpoint = global.url;
    r.deps.config.allowStandaloneRegistration = false;
  }
  return {
    global,
    fi,
    de,
    close: async () => {
      await closeRouter();
      await Promise.all([fi.destroy(), de.destroy()]);
    },
  };
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI with only the environment given (plus PATH): nothing leaks in from the test runner's. */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}
