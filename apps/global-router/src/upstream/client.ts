import type { Readable } from "node:stream";
import { Pool, type Dispatcher } from "undici";
import type { UpstreamTimeouts } from "../config.ts";
import type { RegionDirectory } from "../regions.ts";

export interface UpstreamRequest {
  method: string;
  /** Path and query exactly as the client sent them. */
  pathAndQuery: string;
  headers: string[];
  body: Readable | null;
  signal: AbortSignal;
}

interface RegionPool {
  pool: Pool;
  basePath: string;
}

/**
 * One connection pool per gateway of each region, so a slow or dead gateway only ties up its
 * own sockets and queue; the timeouts bound how long any request can wait on a region.
 * `endpoint` is the index of the gateway in the region's `endpoints` (the circuit ticket's).
 */
export class UpstreamClient {
  readonly #pools = new Map<string, RegionPool[]>();

  constructor(regions: RegionDirectory, timeouts: UpstreamTimeouts) {
    for (const region of regions.list()) {
      const pools = region.endpoints.map((endpoint) => {
        const url = new URL(endpoint);
        const pool = new Pool(url.origin, {
          connectTimeout: timeouts.connectTimeoutMs,
          headersTimeout: timeouts.headersTimeoutMs,
          bodyTimeout: timeouts.bodyTimeoutMs,
          keepAliveTimeout: 4_000,
        });
        return { pool, basePath: url.pathname.replace(/\/+$/, "") };
      });
      this.#pools.set(region.regionId, pools);
    }
  }

  async request(regionId: string, req: UpstreamRequest, endpoint = 0): Promise<Dispatcher.ResponseData> {
    const target = this.#target(regionId, endpoint);
    return target.pool.request({
      method: req.method as Dispatcher.HttpMethod,
      path: target.basePath + req.pathAndQuery,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      // Never replay a request on another socket: bodies are streamed once.
      idempotent: false,
    });
  }

  /**
   * The same request through undici's handler API: no response stream, promise or async
   * resource per request, for the relay that copies the answer straight to the client.
   */
  dispatch(regionId: string, req: Omit<UpstreamRequest, "signal">, handler: Dispatcher.DispatchHandler, endpoint = 0): void {
    const target = this.#target(regionId, endpoint);
    target.pool.dispatch(
      {
        method: req.method as Dispatcher.HttpMethod,
        path: target.basePath + req.pathAndQuery,
        headers: req.headers,
        body: req.body,
        // Never replay a request on another socket: bodies are streamed once.
        idempotent: false,
      },
      handler,
    );
  }

  /** `GET /health` on one of the region's gateways; true for a 2xx answer within the timeout. */
  async probe(regionId: string, timeoutMs: number, endpoint = 0): Promise<boolean> {
    const status = await this.#healthStatus(regionId, timeoutMs, endpoint);
    return status !== undefined && status >= 200 && status < 300;
  }

  /** Whether the region's gateway answers `GET /health` at all (any status) within the timeout: alive, if perhaps unwell. */
  async reachable(regionId: string, timeoutMs: number, endpoint = 0): Promise<boolean> {
    return (await this.#healthStatus(regionId, timeoutMs, endpoint)) !== undefined;
  }

  /** The status of `GET /health` within the timeout, or undefined when no answer came. */
  async #healthStatus(regionId: string, timeoutMs: number, endpoint: number): Promise<number | undefined> {
    const target = this.#target(regionId, endpoint);
    try {
      const res = await target.pool.request({
        method: "GET",
        path: `${target.basePath}/health`,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump({ limit: 64 * 1024 });
      return res.statusCode;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].flat().map((p) => p.pool.close().catch(() => p.pool.destroy())));
  }

  #target(regionId: string, endpoint: number): RegionPool {
    const target = this.#pools.get(regionId)?.[endpoint];
    if (!target) throw new Error(`no upstream pool for region ${regionId} endpoint ${endpoint}`);
    return target;
  }
}
