import { createHash, randomBytes } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import net, { type AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import type { Topology } from "@s3gw/core";
import { openDatabase, type Database } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import { globalSchema } from "@s3gw/schema-global";
import { pino } from "pino";
import type { GlobalRouterConfig } from "../src/config.ts";
import { startGlobalRouter, type RunningGlobalRouter } from "../src/start.ts";

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
}

export interface FakeRegion {
  regionId: string;
  url: string;
  seen: SeenRequest[];
  /** Resolves when an upstream response was closed before it finished (client went away). */
  aborted: Array<"request" | "response">;
  /** Bytes the region has handed to its sockets in download/endless mode. */
  downloadedBytes(): number;
  close(): Promise<void>;
}

/** Deterministic, non-periodic test data: `count` chunks of `size` bytes. */
export function* chunks(count: number, size: number, seed = randomBytes(size)): Generator<Buffer> {
  for (let i = 0; i < count; i++) {
    const c = Buffer.from(seed);
    c.writeUInt32BE(i, 0);
    yield c;
  }
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.on("drain", done).on("close", done);
  });
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

/**
 * A stand-in regional gateway on a real socket. Modes (x-test-mode header):
 * - default: answers JSON describing the request, with x-test-status as its status
 * - echo: streams the request body straight back
 * - download: streams x-test-bytes bytes, 1 MiB at a time, honouring backpressure
 * - endless: streams until the client goes away
 * - stall: reads nothing and never answers
 */
export async function startFakeRegion(regionId: string): Promise<FakeRegion> {
  const seen: SeenRequest[] = [];
  const aborted: Array<"request" | "response"> = [];
  let downloaded = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "healthy", region: regionId }));
      return;
    }
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, rawHeaders: req.rawHeaders });
    req.once("aborted", () => aborted.push("request"));
    res.once("close", () => {
      if (!res.writableFinished) aborted.push("response");
    });
    const mode = req.headers["x-test-mode"];
    if (mode === "stall") {
      // Never read the body and never answer: the upload must back up to the client.
      req.pause();
      return;
    }
    if (mode === "echo") {
      res.writeHead(200, { "content-type": "application/octet-stream", "x-echo-method": req.method ?? "" });
      await pipeline(req, res).catch(() => {});
      return;
    }
    if (mode === "download" || mode === "endless") {
      const total = mode === "endless" ? Number.POSITIVE_INFINITY : Number(req.headers["x-test-bytes"]);
      res.writeHead(200, { "content-type": "application/octet-stream", ...(Number.isFinite(total) ? { "content-length": String(total) } : {}) });
      const seed = randomBytes(1024 * 1024);
      let sent = 0;
      while (sent < total && !res.destroyed) {
        const n = Math.min(seed.length, total - sent);
        const more = res.write(seed.subarray(0, n));
        sent += n;
        downloaded += n;
        if (!more) await drainOrClose(res);
      }
      if (!res.destroyed) res.end();
      return;
    }
    const body = await readAll(req).catch(() => Buffer.alloc(0));
    const status = Number(req.headers["x-test-status"] ?? 200);
    const payload = JSON.stringify({
      region: regionId,
      method: req.method,
      url: req.url,
      headers: req.headers,
      bodyLength: body.length,
      bodySha256: createHash("sha256").update(body).digest("hex"),
    });
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(payload)),
      etag: '"fake-etag"',
      "x-amz-request-id": `upstream-${regionId}`,
      "x-upstream-region": regionId,
      "set-cookie": ["a=1", "b=2"],
      "keep-alive": "timeout=5",
    });
    res.end(req.method === "HEAD" ? undefined : payload);
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => res.destroy(err as Error));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    regionId,
    url: `http://127.0.0.1:${port}`,
    seen,
    aborted,
    downloadedBytes: () => downloaded,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on: connections to it are refused at once. */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Accepts connections and never answers: a hung region. */
export async function startHungServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => {});
    sock.resume();
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const sock of sockets) sock.destroy();
        s.close(() => r());
      }),
  };
}

export function topologyOf(regions: Array<{ regionId: string; url: string; country: string }>): Topology {
  return {
    regions: regions.map((r) => ({
      region_id: r.regionId,
      name: `Region ${r.regionId}`,
      country: r.country,
      endpoint: r.url,
      provider: { provider_id: `${r.regionId.toLowerCase()}-fs`, type: "fs" as const, country: r.country },
    })),
  };
}

/** The admin token test routers are configured with (by hash, as in production). */
export const ADMIN_TOKEN = "test-router-admin-token-0123456789";
export const adminToken = { sha256: createHash("sha256").update(ADMIN_TOKEN).digest("hex") };
export const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** GATEWAY_SHARED_SECRET of test routers unless overridden. */
export const GATEWAY_SECRET = "test-router-gateway-secret-0123456789abcdef";

export interface RouterHarness {
  router: RunningGlobalRouter;
  db: Database<typeof globalSchema>;
  logs: string[];
  config: GlobalRouterConfig;
  stop(): Promise<void>;
}

/** The router on port 0 with its own fresh database; logs are captured for inspection. */
export async function startRouter(topology: Topology, overrides: Partial<GlobalRouterConfig> = {}): Promise<RouterHarness> {
  const testDb = await createTestDatabase("global_router");
  const config: GlobalRouterConfig = {
    port: 0,
    host: "127.0.0.1",
    database: { url: testDb.url },
    topology,
    upstream: { connectTimeoutMs: 1_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 30_000 },
    routingRefreshMs: 60_000,
    logLevel: "info",
    adminToken,
    gatewaySharedSecret: GATEWAY_SECRET,
    // Most tests speak the trusted-header mode (X-Customer-ID) on loopback.
    trustedCustomerHeader: true,
    ...overrides,
  };
  const logs: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(line) });
  const router = await startGlobalRouter(config, { logger, shutdownGraceMs: 1_000 });
  const db = await openDatabase({ url: testDb.url, poolSize: 2 }, globalSchema);
  return {
    router,
    db,
    logs,
    config,
    stop: async () => {
      await router.close();
      await db.close();
      await testDb.drop();
    },
  };
}

export async function register(baseUrl: string, customerId: string, regionId: string): Promise<Response> {
  return fetch(`${baseUrl}/routing/customers/${customerId}?region_id=${regionId}`, { method: "POST", headers: adminAuth });
}

/** Polls until `check` returns a value or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** A plain node:http request, so tests control every header (fetch adds and forbids some). */
export function send(
  url: string,
  opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? "GET", headers: opts.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Response bodies in tests are asserted field by field, so they are typed loosely. */
export const json = (res: Response): Promise<any> => res.json();
