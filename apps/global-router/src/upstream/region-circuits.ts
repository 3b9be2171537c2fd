import { s3Error } from "@s3gw/core";
import type { CircuitConfig } from "../config.ts";
import type { Logger } from "../logger.ts";

export const DEFAULT_CIRCUIT: CircuitConfig = { failureThreshold: 3, slowRequestMs: 500, probeTimeoutMs: 1_250, probeIntervalMs: 1_000 };

export type CircuitState = "closed" | "open";

export interface CircuitStatus {
  region_id: string;
  state: CircuitState;
  consecutive_failures: number;
  opened_at: string | null;
}

/** One routed request's hold on its region's circuit; exactly one of its outcomes counts. */
export interface CircuitTicket {
  /** Aborts when the circuit opens while the request is still waiting for the region. */
  signal: AbortSignal;
  /** The region answered (any status): it is alive. */
  answered(): void;
  /** The region could not be reached or did not answer in time. */
  failed(): void;
  /** Neither (e.g. the client went away first). */
  release(): void;
}

interface Circuit {
  state: CircuitState;
  failures: number;
  openedAt: number | undefined;
  /** Cut when the circuit opens: every request still waiting on the region gives up at once. */
  waiting: AbortController;
  probing: Promise<void> | undefined;
  lastAliveAt: number;
  timer: NodeJS.Timeout | undefined;
}

export interface RegionCircuitsOptions {
  regionIds: string[];
  /** True when the region's gateway gives any HTTP answer within `timeoutMs`. */
  reachable(regionId: string, timeoutMs: number): Promise<boolean>;
  config?: Partial<CircuitConfig> | undefined;
  logger: Logger;
  now?: () => number;
}

/**
 * A circuit breaker per region. A hung region (process stopped: connections are accepted,
 * nothing answers) would otherwise hold every routed request for the whole headers
 * timeout. A request left unanswered for `slowRequestMs` makes the breaker probe the
 * region's /health with a short timeout; no answer (while no request was answered either:
 * a busy region answers slowly, a hung one not at all), or `failureThreshold` failed requests
 * in a row, opens the circuit: waiting requests and new ones get 503 at once, while a
 * background probe closes it again as soon as the region answers. Regions are independent.
 */
export class RegionCircuits {
  readonly #circuits = new Map<string, Circuit>();
  readonly #opts: RegionCircuitsOptions;
  readonly #config: CircuitConfig;
  readonly #now: () => number;
  #stopped = false;

  constructor(opts: RegionCircuitsOptions) {
    this.#opts = opts;
    this.#config = { ...DEFAULT_CIRCUIT, ...Object.fromEntries(Object.entries(opts.config ?? {}).filter(([, v]) => v !== undefined)) };
    this.#now = opts.now ?? Date.now;
    for (const id of opts.regionIds) {
      this.#circuits.set(id, { state: "closed", failures: 0, openedAt: undefined, waiting: new AbortController(), probing: undefined, lastAliveAt: 0, timer: undefined });
    }
  }

  /** Admits a request to `regionId`, or throws 503 ServiceUnavailable while its circuit is open. */
  begin(regionId: string): CircuitTicket {
    const circuit = this.#circuit(regionId);
    if (circuit.state === "open") throw unavailable(regionId);
    let settled = false;
    const slow = setTimeout(() => this.#probe(regionId), this.#config.slowRequestMs);
    slow.unref();
    const settle = (fn?: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(slow);
      fn?.();
    };
    return {
      signal: circuit.waiting.signal,
      answered: () => settle(() => this.#alive(regionId)),
      failed: () => settle(() => this.#failure(regionId, "request failed")),
      release: () => settle(),
    };
  }

  states(): CircuitStatus[] {
    return [...this.#circuits].map(([id, c]) => ({
      region_id: id,
      state: c.state,
      consecutive_failures: c.failures,
      opened_at: c.openedAt === undefined ? null : new Date(c.openedAt).toISOString(),
    }));
  }

  stop(): void {
    this.#stopped = true;
    for (const c of this.#circuits.values()) {
      if (c.timer) clearInterval(c.timer);
      c.timer = undefined;
    }
  }

  #circuit(regionId: string): Circuit {
    const c = this.#circuits.get(regionId);
    if (!c) throw new Error(`no circuit for region ${regionId}`);
    return c;
  }

  #alive(regionId: string): void {
    const c = this.#circuit(regionId);
    c.failures = 0;
    c.lastAliveAt = this.#now();
    if (c.state === "open") {
      c.state = "closed";
      c.openedAt = undefined;
      if (c.timer) clearInterval(c.timer);
      c.timer = undefined;
      this.#opts.logger.info({ regionId }, "region circuit closed: the region answers again");
    }
  }

  #failure(regionId: string, reason: string): void {
    const c = this.#circuit(regionId);
    c.failures++;
    if (c.state === "closed" && c.failures >= this.#config.failureThreshold) this.#open(regionId, reason);
  }

  #open(regionId: string, reason: string): void {
    const c = this.#circuit(regionId);
    if (c.state === "open" || this.#stopped) return;
    c.state = "open";
    c.openedAt = this.#now();
    c.waiting.abort(unavailable(regionId));
    c.waiting = new AbortController();
    this.#opts.logger.warn({ regionId, reason, consecutiveFailures: c.failures }, "region circuit opened: answering 503 until the region answers its health probe");
    c.timer = setInterval(() => this.#probe(regionId), this.#config.probeIntervalMs);
    c.timer.unref();
  }

  /** One probe at a time per region; a region that answered moments ago is not asked again. */
  #probe(regionId: string): void {
    const c = this.#circuit(regionId);
    if (this.#stopped || c.probing) return;
    if (c.state === "closed" && this.#now() - c.lastAliveAt < this.#config.slowRequestMs) return;
    const startedAt = this.#now();
    c.probing = this.#opts
      .reachable(regionId, this.#config.probeTimeoutMs)
      .catch(() => false)
      .then((ok) => {
        if (ok) this.#alive(regionId);
        // A region that answered requests while its health probe waited is overloaded, not
        // hung: its health answer queued behind the work. Opening would turn slow answers
        // into 503s for everyone, and cut the requests it was about to answer.
        else if (c.state === "closed" && c.lastAliveAt >= startedAt) return;
        else if (c.state === "closed") {
          c.failures++;
          this.#open(regionId, "health probe unanswered");
        }
      })
      .finally(() => {
        c.probing = undefined;
      });
  }
}

export function unavailable(regionId: string) {
  return s3Error("ServiceUnavailable", `Region ${regionId} is temporarily unavailable`, { headers: { "retry-after": "1" } });
}
