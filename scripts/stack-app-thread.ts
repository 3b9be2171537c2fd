// One app of `npm start`'s process, in a worker thread of its own (see start-stack.ts): its own
// V8 isolate, so its own module instances and event loop, as in a process of its own; its
// database is one more thread below it. Logs go to this thread's stdout, which the launcher
// reads and tags. Messages: the launcher sends "stop"; this thread answers
// { kind: "started" } | { kind: "failed", message } | { kind: "stopped" } | { kind: "stopFailed", message }.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort, workerData } from "node:worker_threads";

export interface AppThreadStart {
  app: "regional-gateway" | "global-router";
  env: Record<string, string | undefined>;
}

export type AppThreadReply = { kind: "started" } | { kind: "stopped" } | { kind: "failed" | "stopFailed"; message: string };

async function run(port: NonNullable<typeof parentPort>, start: AppThreadStart): Promise<void> {
  const reply = (m: AppThreadReply) => port.postMessage(m);
  const destination = { write: (line: string) => void process.stdout.write(line) };
  let running: { close(): Promise<void> };
  try {
    running =
      start.app === "regional-gateway"
        ? await (await import("../apps/regional-gateway/src/embedded.ts")).startEmbeddedRegionalGateway(start.env, destination)
        : await (await import("../apps/global-router/src/embedded.ts")).startEmbeddedGlobalRouter(start.env, destination);
  } catch (err) {
    reply({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
    return;
  }
  port.on("message", (m: unknown) => {
    if (m !== "stop") return;
    running.close().then(
      () => reply({ kind: "stopped" }),
      (err: unknown) => reply({ kind: "stopFailed", message: err instanceof Error ? err.message : String(err) }),
    );
  });
  reply({ kind: "started" });
  // Loading an app's modules leaves ~30-60 MiB of garbage (parsed sources, compiler data) in its
  // fresh isolate that V8 keeps as heap for a long time; one full collection once the app is up
  // gives it back (measured: ~170 MiB for the four apps).
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

if (!parentPort) throw new Error("stack-app-thread.ts runs as a worker thread of scripts/start-stack.ts");
await run(parentPort, workerData as AppThreadStart);
