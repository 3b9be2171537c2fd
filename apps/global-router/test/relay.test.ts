import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RegionDirectory } from "../src/regions.ts";
import { UpstreamClient } from "../src/upstream/client.ts";
import type { CircuitTicket } from "../src/upstream/region-circuits.ts";
import type { RelayContext, RelayOutcome } from "../src/upstream/relay.ts";
import { relayNode } from "../src/upstream/relay-node.ts";
import { DEFAULT_SOURCE_COUNTRY } from "../src/upstream/source-country.ts";
import { topologyOf } from "./helpers.ts";

/**
 * relayNode between two real sockets, with its outcome (what the routing log and metrics
 * record) observed directly: the body copy, the single abort controller and the circuit
 * listener are the relay's own, so they are exercised here without the rest of the router.
 */

type RegionHandler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(handler: RegionHandler): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const close = (s: http.Server) =>
  new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

let regionHandler: RegionHandler = (_req, res) => res.end();
let region: { url: string; server: http.Server };
let router: { url: string; server: http.Server };
let upstream: UpstreamClient;
let circuit: AbortController;
let outcomes: Array<{ status: number; outcome: RelayOutcome }>;
let answered: IncomingHttpHeaders[];
const ticketCalls: string[] = [];

beforeAll(async () => {
  region = await listen((req, res) => regionHandler(req, res));
  upstream = new UpstreamClient(new RegionDirectory(topologyOf([{ regionId: "FI-HEL", url: region.url, country: "FI" }])), {
    connectTimeoutMs: 1_000,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
  });
  router = await listen((req, res) => {
    const ctx: RelayContext = {
      upstream,
      circuits: {
        begin: (): CircuitTicket => ({
          signal: circuit.signal,
          answered: () => ticketCalls.push("answered"),
          failed: () => ticketCalls.push("failed"),
          release: () => ticketCalls.push("release"),
        }),
      },
      regionId: "FI-HEL",
      requestId: "req-1",
      routedCustomerId: "acme-corp",
      sharedSecret: undefined,
      sourceCountry: DEFAULT_SOURCE_COUNTRY,
      nowSeconds: () => Date.now() / 1000,
      answered: (h) => answered.push(h),
      done: (status, outcome) => outcomes.push({ status, outcome }),
    };
    // What the S3 route does with the outcome: a Response (HEAD) is sent as is, an error as its status.
    relayNode(ctx, req, res).then(
      (answer) => answer && res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(),
      (err: { status?: number }) => !res.headersSent && res.writeHead(err.status ?? 500).end(),
    );
  });
});

afterEach(() => {
  circuit = new AbortController();
  outcomes = [];
  answered = [];
  ticketCalls.length = 0;
});

afterAll(async () => {
  await upstream.close();
  await close(router.server);
  await close(region.server);
});

circuit = new AbortController();
outcomes = [];
answered = [];

/** A GET through the router; resolves with what arrived, and whether the response ended cleanly. */
function get(path = "/b/k"): Promise<{ status: number; headers: IncomingHttpHeaders; rawHeaders: string[]; body: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${router.url}${path}`, { agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      const finish = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(parts), complete: res.complete });
      res.on("end", finish);
      res.on("error", finish);
      res.on("aborted", finish);
    });
    req.on("error", reject);
  });
}

const settled = async () => {
  for (let i = 0; i < 100 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
};

describe("relayNode", () => {
  it("relays the region's status, headers (each set-cookie, no hop-by-hop) and whole body, then reports ok once", async () => {
    const body = Buffer.alloc(300_000, 7);
    regionHandler = (_req, res) => {
      res.writeHead(206, [
        ["content-type", "application/octet-stream"],
        ["content-length", String(body.length)],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["x-drop-me", "1"],
        ["connection", "x-drop-me"],
        ["keep-alive", "timeout=5"],
        ["x-amz-meta-Colour", "blue"],
      ].flat());
      // In pieces, so the copy loop runs many times.
      let sent = 0;
      const step = () => {
        if (sent >= body.length) return void res.end();
        res.write(body.subarray(sent, sent + 65_536));
        sent += 65_536;
        setImmediate(step);
      };
      step();
    };
    const res = await get();
    expect(res.status).toBe(206);
    expect(res.complete).toBe(true);
    expect(res.body.equals(body)).toBe(true);
    expect(res.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(res.headers["x-amz-meta-colour"]).toBe("blue");
    expect(res.headers["x-drop-me"]).toBeUndefined();
    expect(res.headers["keep-alive"]).toBeUndefined();
    await settled();
    expect(outcomes).toEqual([{ status: 206, outcome: "ok" }]);
    expect(answered[0]?.["content-length"]).toBe(String(body.length));
    expect(ticketCalls).toEqual(["answered"]);
  });

  it("HEAD resolves with a bodyless Response carrying the region's headers; 204 answers end at once", async () => {
    regionHandler = (req, res) => {
      if (req.method === "HEAD") res.writeHead(200, { "content-length": "1234", etag: '"e"' }).end();
      else res.writeHead(204, { "x-amz-request-id": "r" }).end();
    };
    const head = await new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
      http.request(`${router.url}/b/k`, { method: "HEAD", agent: false }, (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers })).on("error", reject).end();
    });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("1234");
    expect(head.headers.etag).toBe('"e"');
    await settled();
    expect(outcomes).toEqual([{ status: 200, outcome: "ok" }]);
    expect(answered[0]?.etag).toBe('"e"');
    outcomes = [];
    const res = await get();
    expect(res.status).toBe(204);
    expect(res.body.length).toBe(0);
    await settled();
    expect(outcomes).toEqual([{ status: 204, outcome: "ok" }]);
  });

  it("a region body that breaks off mid-way cuts the client's connection (never a clean short answer): upstream_broken", async () => {
    regionHandler = (_req, res) => {
      res.writeHead(200, { "content-length": "100000" });
      res.write(Buffer.alloc(10_000, 1), () => setTimeout(() => res.socket?.destroy(), 20));
    };
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    expect(res.body.length).toBeLessThan(100_000);
    await settled();
    expect(outcomes).toEqual([{ status: 200, outcome: "upstream_broken" }]);
  });

  it("a circuit that opens while the body streams aborts the exchange as the region's failure, not the client's", async () => {
    let regionSawClose = false;
    regionHandler = (req, res) => {
      res.writeHead(200, { "content-length": "1000000" });
      res.write(Buffer.alloc(1_000, 1));
      res.on("close", () => (regionSawClose = !res.writableFinished));
      // Opened after the first bytes reached the client.
      setTimeout(() => circuit.abort(new Error("circuit opened")), 50);
      req.resume();
    };
    const res = await get();
    expect(res.complete).toBe(false);
    await settled();
    expect(outcomes).toEqual([{ status: 200, outcome: "upstream_broken" }]);
    for (let i = 0; i < 100 && !regionSawClose; i++) await new Promise((r) => setTimeout(r, 10));
    expect(regionSawClose).toBe(true);
  });

  it("a circuit already open when the request starts never reaches the region", async () => {
    let reached = false;
    regionHandler = (_req, res) => {
      reached = true;
      res.end();
    };
    circuit.abort(new Error("circuit opened"));
    const res = await get();
    expect(res.status).toBe(503);
    await settled();
    expect(outcomes).toEqual([{ status: 503, outcome: "upstream_unavailable" }]);
    expect(ticketCalls).toEqual(["failed"]);
    expect(reached).toBe(false);
  });

  it("a client that goes away mid-download is client_aborted, and the region's request is aborted too", async () => {
    let regionSawClose = false;
    regionHandler = (_req, res) => {
      res.writeHead(200, { "content-length": "100000000" });
      res.on("close", () => (regionSawClose = !res.writableFinished));
      const pump = () => {
        while (res.write(Buffer.alloc(65_536))) {
          /* fill */
        }
        res.once("drain", pump);
      };
      pump();
    };
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${router.url}/b/big`, { agent: false }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => {});
      req.on("close", () => resolve());
      setTimeout(() => reject(new Error("no body arrived")), 5_000);
    });
    await settled();
    expect(outcomes).toEqual([{ status: 499, outcome: "client_aborted" }]);
    for (let i = 0; i < 100 && !regionSawClose; i++) await new Promise((r) => setTimeout(r, 10));
    expect(regionSawClose).toBe(true);
  });
});
