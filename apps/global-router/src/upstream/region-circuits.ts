import { s3Error } from "@s3gw/core";
import type { CircuitConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { EndpointCircuit, type CircuitState, type EndpointCircuitStatus } from "./endpoint-circuit.ts";

export type { CircuitState, EndpointCircuitStatus } from "./endpoint-circuit.ts";

export const DEFAULT_CIRCUIT: CircuitConfig = { failureThreshold: 3, slowRequestMs: 500, probeTimeoutMs: 1_250, probeIntervalMs: 1_000 };

export interface CircuitStatus {
  region_id: string;
  /** `open` only when every gateway of the region has its circuit open. */
  state: CircuitState;
  /** The fewest consecutive failures of any of its gateways (the region's best chance). */
  consecutive_failures: number;
  /** When the last of its gateways' circuits opened, while all are open. */
  opened_at: string | null;
  /** One entry per gateway, in topology order. */
  endpoints: EndpointCircuitStatus[];
}

/** One routed request's hold on one gateway's circuit; exactly one of its outcomes counts. */
export interface CircuitTicket {
  /** Which of the region's gateways to send it to (index into the region's endpoints; 0 if unset). */
  endpoint?: number;
  /** Aborts when that gateway's circuit opens while the request is still waiting for it. */
  signal: AbortSignal;
  /** The gateway answered (any status): it is alive. */
  answered(): void;
  /** The gateway could not be reached or did not answer in time. */
  failed(): void;
  /** Neither (e.g. the client went away first). */
  release(): void;
}

export interface RegionCircuitsOptions {
  /** Regions served by one gateway each (the endpoint is named by the region id). */
  regionIds?: string[];
  /** Regions with their gateways (as in RegionDirectory); wins over `regionIds` for the regions it names. */
  regions?: Array<{ regionId: string; endpoints: string[] }>;
  /** True when gateway `endpoint` (index) of the region gives any HTTP answer within `timeoutMs`. */
  reachable(regionId: string, timeoutMs: number, endpoint: number): Promise<boolean>;
  config?: Partial<CircuitConfig> | undefined;
  logger: Logger;
  now?: () => number;
}

interface Region {
  endpoints: EndpointCircuit[];
  /** Where the tie-break among equally busy gateways starts next (round-robin). */
  next: number;
}

/**
 * The region's gateways behind one admission point. `begin` picks a gateway whose circuit is
 * closed, the one with the fewest requests in flight (ties round-robin), so a slow or dead
 * gateway gets less or nothing while the others carry the region; the region refuses (503 at
 * once, `Retry-After`) only when every gateway's circuit is open. Regions are independent.
 */
export class RegionCircuits {
  readonly #regions = new Map<string, Region>();
  #stopped = false;

  constructor(opts: RegionCircuitsOptions) {
    const config: CircuitConfig = { ...DEFAULT_CIRCUIT, ...Object.fromEntries(Object.entries(opts.config ?? {}).filter(([, v]) => v !== undefined)) };
    const now = opts.now ?? Date.now;
    const all = new Map<string, string[]>((opts.regionIds ?? []).map((id) => [id, [id]]));
    for (const r of opts.regions ?? []) all.set(r.regionId, r.endpoints);
    for (const [regionId, endpoints] of all) {
      const circuits = endpoints.map(
        (endpoint, index) =>
          new EndpointCircuit({
            regionId,
            endpoint,
            config,
            logger: opts.logger,
            now,
            stopped: () => this.#stopped,
            reachable: (timeoutMs) => opts.reachable(regionId, timeoutMs, index),
            unavailable: () => unavailable(regionId),
          }),
      );
      this.#regions.set(regionId, { endpoints: circuits, next: 0 });
    }
  }

  /**
   * Admits a request to `regionId` on its least busy gateway with a closed circuit, or throws
   * 503 ServiceUnavailable when there is none. `exclude` leaves one gateway out (the retry of
   * a request that could not connect to it).
   */
  begin(regionId: string, opts: { exclude?: number } = {}): CircuitTicket {
    const region = this.#region(regionId);
    const index = pick(region, opts.exclude);
    if (index === undefined) throw unavailable(regionId);
    const circuit = region.endpoints[index]!;
    circuit.inFlight++;
    let settled = false;
    const slow = setTimeout(() => circuit.probe(), circuit.slowRequestMs);
    slow.unref();
    const settle = (fn?: () => void) => {
      if (settled) return;
      settled = true;
      circuit.inFlight--;
      clearTimeout(slow);
      fn?.();
    };
    return {
      endpoint: index,
      signal: circuit.waiting.signal,
      answered: () => settle(() => circuit.alive()),
      failed: () => settle(() => circuit.failure("request failed")),
      release: () => settle(),
    };
  }

  states(): CircuitStatus[] {
    return [...this.#regions].map(([id, r]) => {
      const endpoints = r.endpoints.map((c) => c.status());
      const down = endpoints.every((e) => e.state === "open");
      const lastOpened = Math.max(...r.endpoints.map((c) => c.openedAt ?? 0));
      return {
        region_id: id,
        state: down ? "open" : "closed",
        consecutive_failures: Math.min(...endpoints.map((e) => e.consecutive_failures)),
        opened_at: down ? new Date(lastOpened).toISOString() : null,
        endpoints,
      };
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const r of this.#regions.values()) for (const c of r.endpoints) c.stop();
  }

  #region(regionId: string): Region {
    const r = this.#regions.get(regionId);
    if (!r) throw new Error(`no circuit for region ${regionId}`);
    return r;
  }
}

/** Least in flight among the closed circuits, ties broken round-robin from `region.next`. */
function pick(region: Region, exclude: number | undefined): number | undefined {
  const n = region.endpoints.length;
  let best: number | undefined;
  for (let step = 0; step < n; step++) {
    const i = (region.next + step) % n;
    const c = region.endpoints[i]!;
    if (i === exclude || c.state === "open") continue;
    if (best === undefined || c.inFlight < region.endpoints[best]!.inFlight) best = i;
  }
  if (best !== undefined) region.next = (best + 1) % n;
  return best;
}

export function unavailable(regionId: string) {
  return s3Error("ServiceUnavailable", `Region ${regionId} is temporarily unavailable`, { headers: { "retry-after": "1" } });
}
