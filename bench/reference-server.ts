// The bare-Node reference of the benchmarks: node:http doing the file I/O an object store
// must do and nothing else (no auth, no metadata, no audit). GET /<bucket>/<key> reads the
// file and sends it; PUT writes a temp file, fsyncs it and renames it into place; PUT of a
// bucket makes its directory. Query strings (presigned URLs) are ignored.
//   REFERENCE_DIR=<dir> PORT=<port> node bench/reference-server.ts    prints "listening <port>" when ready
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";

/** Bodies up to this size are read whole (one readFile); larger ones are streamed. */
const SMALL = 1024 * 1024;

function target(dir: string, rawUrl: string): { bucketDir: string; file?: string } | undefined {
  const path = decodeURIComponent(rawUrl.split("?")[0] ?? "");
  const m = /^\/([a-z0-9][a-z0-9.-]{1,62})(?:\/(.+))?$/.exec(path);
  if (!m || (m[2] !== undefined && (m[2].includes("..") || m[2].includes("/")))) return undefined;
  const bucketDir = join(dir, m[1]!);
  return m[2] === undefined ? { bucketDir } : { bucketDir, file: join(bucketDir, m[2]) };
}

async function get(file: string, res: ServerResponse): Promise<void> {
  const { size } = await stat(file);
  if (size <= SMALL) {
    const bytes = await readFile(file);
    res.writeHead(200, { "content-length": bytes.length, "content-type": "application/octet-stream" }).end(bytes);
    return;
  }
  res.writeHead(200, { "content-length": size, "content-type": "application/octet-stream" });
  await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), res);
}

async function put(file: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  const fh = await open(tmp, "w");
  try {
    for await (const chunk of req) await fh.write(chunk as Buffer);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  res.writeHead(200, { "content-length": 0 }).end();
}

export function referenceServer(dir: string) {
  return createServer((req, res) => {
    const t = target(dir, req.url ?? "/");
    const work = async () => {
      if (!t) return void res.writeHead(400).end();
      if (req.method === "PUT" && !t.file) return void (await mkdir(t.bucketDir, { recursive: true }), res.writeHead(200).end());
      if (req.method === "PUT") return put(t.file!, req, res);
      if (req.method === "GET" && t.file) return get(t.file, res);
      res.writeHead(405).end();
    };
    work().catch((err: NodeJS.ErrnoException) => {
      if (!res.headersSent) res.writeHead(err.code === "ENOENT" ? 404 : 500).end();
      else res.destroy();
    });
  });
}

if (import.meta.main) {
  const { REFERENCE_DIR: dir, PORT: port } = process.env;
  if (!dir || !port) throw new Error("usage: REFERENCE_DIR=<dir> PORT=<port> node bench/reference-server.ts");
  await mkdir(dir, { recursive: true });
  const server = referenceServer(dir);
  server.keepAliveTimeout = 60_000;
  server.listen(Number(port), "127.0.0.1", () => console.log(`listening ${port}`));
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
