import type { Clock } from "./clock.ts";
import type { RegionDirectory } from "./regions.ts";
import type { UpstreamClient } from "./upstream/client.ts";

export interface RegionStatus {
  region_id: string;
  endpoint: string;
  status: "up" | "down";
}

export interface RegionHealthOptions {
  regions: RegionDirectory;
  upstream: Pick<UpstreamClient, "probe">;
  clock: Clock;
  /** How long a probe result is reused, so /health polling does not hammer the regions. */
  ttlMs?: number;
  probeTimeoutMs?: number;
}

/** Reachability of each regional gateway, probed concurrently and cached briefly. */
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
      regions.list().map(async (r): Promise<RegionStatus> => ({
        region_id: r.regionId,
        endpoint: r.endpoint,
        status: (await upstream.probe(r.regionId, probeTimeoutMs)) ? "up" : "down",
      })),
    );
    this.#cached = { at: clock.now(), statuses };
    return statuses;
  }
}
