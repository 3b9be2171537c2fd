import { countOutcome, emptyCounts, RequestWindow, summariseMinutes, windowSpan, type OutcomeCounts, type WindowSummary as CoreWindowSummary } from "@s3gw/core";

export interface RequestSample {
  at: Date;
  operation: string;
  status: number;
  durationMs: number;
}

export interface WindowSummary extends CoreWindowSummary {
  operations: Array<{ operation: string; requests: number; server_errors: number; client_errors: number }>;
}

type Operations = Map<string, OutcomeCounts>;

/**
 * The gateway's request outcomes of the last hour for the ops dashboard: core's rolling window,
 * with one small map of operation names per minute on top.
 */
export class RequestStats {
  readonly #window = new RequestWindow<Operations>(() => new Map());

  observe(s: RequestSample): void {
    const minute = this.#window.observe(s.at.getTime(), s.status, s.durationMs);
    if (!minute) return;
    let op = minute.detail.get(s.operation);
    if (!op) minute.detail.set(s.operation, (op = emptyCounts()));
    countOutcome(op, s.status);
  }

  /** The last `minutes` minutes up to `now`, the current (partial) minute included. */
  window(now: Date, minutes: number): WindowSummary {
    const span = windowSpan(minutes);
    const buckets = this.#window.minutes(now.getTime(), span);
    const operations: Operations = new Map();
    for (const b of buckets) {
      for (const [name, c] of b.detail) {
        const o = operations.get(name) ?? emptyCounts();
        o.requests += c.requests;
        o.serverErrors += c.serverErrors;
        o.clientErrors += c.clientErrors;
        operations.set(name, o);
      }
    }
    return {
      ...summariseMinutes(buckets, span),
      operations: [...operations]
        .map(([operation, c]) => ({ operation, requests: c.requests, server_errors: c.serverErrors, client_errors: c.clientErrors }))
        .sort((a, b) => b.requests - a.requests || a.operation.localeCompare(b.operation)),
    };
  }
}
