// The bare-Node reference server (bench/reference-server.ts) as its own process, so it does not
// share an event loop with the benchmark driver.
import { join } from "node:path";
import { freePort, spawnNode } from "../../test/support/processes.ts";
import { stopChild } from "./proc.ts";
import type { RunningSystem } from "./system.ts";

export async function startReference(opts: { workDir: string; cleanup: (fn: () => Promise<void>) => void }): Promise<RunningSystem> {
  const port = await freePort();
  const server = spawnNode("bench/reference-server.ts", { REFERENCE_DIR: join(opts.workDir, "reference"), PORT: String(port) });
  opts.cleanup(() => stopChild(server.child));
  const deadline = Date.now() + 30_000;
  while (!server.output().includes(`listening ${port}`)) {
    if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`reference server did not start:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // It ignores credentials; the URLs are presigned anyway so that every system parses the same requests.
  const target = { endpoint: `http://127.0.0.1:${port}`, accessKeyId: "REFERENCE", secretAccessKey: "reference", region: "us-east-1" };
  return {
    name: "bare Node HTTP server",
    endpoints: [{ label: "bare Node HTTP server (GET from file; PUT = temp + fsync + rename)", id: "reference", target }],
    logs: () => server.output(),
    pids: async () => ({ reference: server.child.pid! }),
    stop: () => stopChild(server.child),
  };
}
