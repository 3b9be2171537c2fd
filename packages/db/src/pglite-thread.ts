// The embedded database's own thread: one PGlite instance, driven by PgliteThreadClient's
// messages (pglite-protocol.ts) through one PgliteSession. Every statement runs the WASM engine
// synchronously for as long as it takes; here that blocks only this thread, and the process's
// main thread goes on parsing requests, hashing bodies and writing answers meanwhile.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { type Reply, type Request, serializeError, type ThreadStart } from "./pglite-protocol.ts";
import { PgliteSession } from "./pglite-session.ts";

type ParserMap = Record<number, (value: string) => unknown>;

const keepText = (value: string) => value;

/** Result rows' binary values, each owning its buffer so it can be transferred, not copied. */
function transferables(rows: unknown[], transfer: ArrayBuffer[]): void {
  for (const row of rows) {
    const values = Array.isArray(row) ? row : Object.values(row as object);
    for (const v of values) {
      if (v instanceof Uint8Array && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer) {
        transfer.push(v.buffer);
      }
    }
  }
}

async function serve(port: MessagePort, start: ThreadStart): Promise<void> {
  const post = (reply: Reply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
  let pg: PGlite;
  try {
    pg = await PGlite.create({ dataDir: start.dataDir, startParams: start.startParams, relaxedDurability: start.relaxedDurability });
    if (start.initOnly) await pg.close();
  } catch (err) {
    post({ kind: "startFailed", error: serializeError(err) });
    port.close();
    return;
  }
  if (start.initOnly) {
    post({ kind: "ready" });
    return;
  }
  // Starting the engine leaves garbage (the file-system bundle's copies, start-up buffers) that
  // V8 would keep as heap of this thread for a long time: one full collection now returns it.
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  const session = new PgliteSession(pg);
  const parsers = new Map<string, ParserMap>();
  const unlisteners = new Map<string, () => Promise<void>>();

  const parsersFor = (oids: number[] | undefined): ParserMap | undefined => {
    if (!oids?.length) return undefined;
    const key = oids.join(",");
    let map = parsers.get(key);
    if (!map) parsers.set(key, (map = Object.fromEntries(oids.map((oid) => [oid, keepText]))));
    return map;
  };

  // Each handler reaches the session's locks before its first await, so statements are
  // queued in the order their messages arrived.
  const handle = async (req: Request): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> => {
    switch (req.op) {
      case "query": {
        const parsers = parsersFor(req.rawTypes);
        const result = await session.query(req.sql, req.params, { ...(req.rowMode ? { rowMode: req.rowMode } : {}), ...(parsers ? { parsers } : {}) }, req.tx);
        const transfer: ArrayBuffer[] = [];
        transferables(result.rows, transfer);
        return { value: result, transfer };
      }
      case "exec":
        return { value: await session.exec(req.sql, req.tx) };
      case "begin":
        await session.begin(req.id);
        return { value: req.id };
      case "end":
        await session.end(req.tx, req.commit);
        return { value: null };
      case "listen":
        await session.exclusive(async () => {
          if (!unlisteners.has(req.channel)) {
            unlisteners.set(req.channel, await pg.listen(req.channel, (payload) => post({ kind: "notify", channel: req.channel, payload })));
          }
        });
        return { value: null };
      case "unlisten":
        await session.exclusive(async () => {
          const stop = unlisteners.get(req.channel);
          unlisteners.delete(req.channel);
          await stop?.();
        });
        return { value: null };
      case "close":
        await session.abandonAll();
        await session.exclusive(() => pg.close());
        return { value: null };
    }
  };

  port.on("message", (req: Request) => {
    handle(req).then(
      ({ value, transfer }) => post({ kind: "ok", id: req.id, value }, transfer),
      (err: unknown) => post({ kind: "failed", id: req.id, error: serializeError(err) }),
    );
  });
  post({ kind: "ready" });
}

if (!parentPort) throw new Error("pglite-thread.ts runs as a worker thread (see pglite-thread-client.ts)");
await serve(parentPort, workerData as ThreadStart);
