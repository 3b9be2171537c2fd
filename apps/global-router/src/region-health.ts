import type { Clock } from "./clock.ts";
import type { RegionDirectory } from "./regions.ts";
import type { UpstreamClient } from "./upstream/client.ts";

export interface RegionStatus {
  region_id: string;
  /** The region's first gateway. */
  endpoint: string;
  /** `up` while at least one of its gateways answers its health probe. */
  status: "up" | "down";
  /** Each gateway's own answer, in topology order. */
  endpoints: Array<{ endpoint: string; status: "up" | "down" }>;
}

export interface RegionHealthOptions {
  regions: RegionDirectory;
  upstream: Pick<UpstreamClient, "probe">;
  clock: Clock;
  /** How long a probe result is reused, so /health polling does not hammer the regions. */
  ttlMs?: number;
  probeTimeoutMs?: number;
}

/** Reachability of every gateway of each region, probed concurrently and cached briefly. */
export class RegionHealth {
  readonly #opts: Required<RegionHealthOptions>;
  #cached: { at: number; statuses: RegionStatus[] } | undefined;
  #inflight: Promise<RegionStatus[]> | undefined;

  constructor(opts: RegionHealthOptions) {
    this.#opts = { ttlMs: 5_000, probeTimeoutMs: 1_000, ...opts };
  }

  async statuses(): Promise<RegionStatus[]> {
    const { clock, ttlMs } = this.#opts;
    if (this.#cached && clock.now() - this.#cached.at < ttlMs) return this.#cached.statuses;
    this.#inflight ??= this.#probeAll().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #probeAll(): Promise<RegionStatus[]> {
    const { regions, upstream, probeTimeoutMs, clock } = this.#opts;
    const statuses = await Promise.all(
      regions.list().map(async (r): Promise<RegionStatus> => {
        const endpoints = await Promise.all(
          r.endpoints.map(async (endpoint, i) => ({ endpoint, status: (await upstream.probe(r.regionId, probeTimeoutMs, i)) ? ("up" as const) : ("down" as const) })),
        );
        return { region_id: r.regionId, endpoint: r.endpoint, status: endpoints.some((e) => e.status === "up") ? "up" : "down", endpoints };
      }),
    );
    this.#cached = { at: clock.now(), statuses };
    return statuses;
  }
}
