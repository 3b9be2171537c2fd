import type { CircuitConfig } from "../config.ts";
import type { Logger } from "../logger.ts";

export type CircuitState = "closed" | "open";

export interface EndpointCircuitStatus {
  endpoint: string;
  state: CircuitState;
  consecutive_failures: number;
  opened_at: string | null;
  /** Routed requests this gateway is handling now (the balancer picks the least busy). */
  in_flight: number;
}

export interface EndpointCircuitDeps {
  regionId: string;
  /** The gateway's URL as the topology names it (never logged with credentials: topology URLs carry none). */
  endpoint: string;
  config: CircuitConfig;
  logger: Logger;
  now: () => number;
  stopped: () => boolean;
  /** True when this gateway gives any HTTP answer within `timeoutMs`. */
  reachable(timeoutMs: number): Promise<boolean>;
  /** Builds the error waiting requests are aborted with when this circuit opens. */
  unavailable(): Error;
}

/**
 * The breaker of one gateway of a region. A request left unanswered for `slowRequestMs`
 * probes the gateway's /health with a short timeout; no answer (while no request was answered
 * either: a busy gateway answers slowly, a hung one not at all), or `failureThreshold` failed
 * requests in a row, opens it: requests waiting on this gateway give up at once, the balancer
 * sends new ones elsewhere, and a background probe closes it as soon as the gateway answers.
 */
export class EndpointCircuit {
  state: CircuitState = "closed";
  failures = 0;
  inFlight = 0;
  openedAt: number | undefined;
  /** Cut when the circuit opens: every request still waiting on this gateway gives up at once. */
  waiting = new AbortController();
  #probing: Promise<void> | undefined;
  #lastAliveAt = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #d: EndpointCircuitDeps;

  constructor(deps: EndpointCircuitDeps) {
    this.#d = deps;
  }

  /** How long a request may wait for an answer before this gateway is probed. */
  get slowRequestMs(): number {
    return this.#d.config.slowRequestMs;
  }

  get endpoint(): string {
    return this.#d.endpoint;
  }

  alive(): void {
    this.failures = 0;
    this.#lastAliveAt = this.#d.now();
    if (this.state !== "open") return;
    this.state = "closed";
    this.openedAt = undefined;
    this.#clearTimer();
    this.#d.logger.info({ regionId: this.#d.regionId, endpoint: this.#d.endpoint }, "region circuit closed for one gateway: it answers again");
  }

  failure(reason: string): void {
    this.failures++;
    if (this.state === "closed" && this.failures >= this.#d.config.failureThreshold) this.#open(reason);
  }

  /** One probe at a time; a gateway that answered moments ago is not asked again. */
  probe(): void {
    if (this.#d.stopped() || this.#probing) return;
    if (this.state === "closed" && this.#d.now() - this.#lastAliveAt < this.#d.config.slowRequestMs) return;
    const startedAt = this.#d.now();
    this.#probing = this.#d
      .reachable(this.#d.config.probeTimeoutMs)
      .catch(() => false)
      .then((ok) => {
        if (ok) this.alive();
        // A gateway that answered requests while its health probe waited is overloaded, not
        // hung: its health answer queued behind the work. Opening would turn slow answers
        // into 503s for everyone, and cut the requests it was about to answer.
        else if (this.state === "closed" && this.#lastAliveAt >= startedAt) return;
        else if (this.state === "closed") {
          this.failures++;
          this.#open("health probe unanswered");
        }
      })
      .finally(() => {
        this.#probing = undefined;
      });
  }

  status(): EndpointCircuitStatus {
    return {
      endpoint: this.#d.endpoint,
      state: this.state,
      consecutive_failures: this.failures,
      opened_at: this.openedAt === undefined ? null : new Date(this.openedAt).toISOString(),
      in_flight: this.inFlight,
    };
  }

  stop(): void {
    this.#clearTimer();
  }

  #open(reason: string): void {
    if (this.state === "open" || this.#d.stopped()) return;
    this.state = "open";
    this.openedAt = this.#d.now();
    this.waiting.abort(this.#d.unavailable());
    this.waiting = new AbortController();
    this.#d.logger.warn(
      { regionId: this.#d.regionId, endpoint: this.#d.endpoint, reason, consecutiveFailures: this.failures },
      "region circuit opened for one gateway: no requests for it until it answers its health probe",
    );
    this.#timer = setInterval(() => this.probe(), this.#d.config.probeIntervalMs);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
