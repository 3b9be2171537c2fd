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
 * One connection pool per region, so a slow or dead region only ties up its own sockets
 * and queue; the timeouts bound how long any request can wait on a region.
 */
export class UpstreamClient {
  readonly #pools = new Map<string, RegionPool>();

  constructor(regions: RegionDirectory, timeouts: UpstreamTimeouts) {
    for (const region of regions.list()) {
      const url = new URL(region.endpoint);
      const pool = new Pool(url.origin, {
        connectTimeout: timeouts.connectTimeoutMs,
        headersTimeout: timeouts.headersTimeoutMs,
        bodyTimeout: timeouts.bodyTimeoutMs,
        keepAliveTimeout: 4_000,
      });
      this.#pools.set(region.regionId, { pool, basePath: url.pathname.replace(/\/+$/, "") });
    }
  }

  async request(regionId: string, req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    const target = this.#target(regionId);
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
  dispatch(regionId: string, req: Omit<UpstreamRequest, "signal">, handler: Dispatcher.DispatchHandler): void {
    const target = this.#target(regionId);
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

  /** `GET /health` on the region's gateway; true for a 2xx answer within the timeout. */
  async probe(regionId: string, timeoutMs: number): Promise<boolean> {
    const status = await this.#healthStatus(regionId, timeoutMs);
    return status !== undefined && status >= 200 && status < 300;
  }

  /** Whether the region's gateway answers `GET /health` at all (any status) within the timeout: alive, if perhaps unwell. */
  async reachable(regionId: string, timeoutMs: number): Promise<boolean> {
    return (await this.#healthStatus(regionId, timeoutMs)) !== undefined;
  }

  /** The status of `GET /health` within the timeout, or undefined when no answer came. */
  async #healthStatus(regionId: string, timeoutMs: number): Promise<number | undefined> {
    const target = this.#target(regionId);
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
    await Promise.all([...this.#pools.values()].map((p) => p.pool.close().catch(() => p.pool.destroy())));
  }

  #target(regionId: string): RegionPool {
    const target = this.#pools.get(regionId);
    if (!target) throw new Error(`no upstream pool for region ${regionId}`);
    return target;
  }
}
