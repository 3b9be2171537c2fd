import type { FuzzRequest } from "./http.ts";

export interface Stall { at: number; ms: number; inFlight: string[] }

/**
 * The whole stack runs in this one process, so a request that keeps a CPU busy stalls every
 * other (in production: its region). A 50 ms ticker notices the stall; the requests in flight
 * then are the suspects, and the one among them in every stall is the culprit.
 */
export class StallWatch {
  readonly stalls: Stall[] = [];
  private readonly inFlight = new Map<number, FuzzRequest>();
  private timer: NodeJS.Timeout | undefined;
  private last = Date.now();

  private readonly thresholdMs: number;

  constructor(thresholdMs = 1000) {
    this.thresholdMs = thresholdMs;
  }

  start(): void {
    this.last = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      const lag = now - this.last - 50;
      this.last = now;
      if (lag > this.thresholdMs) {
        this.stalls.push({ at: now, ms: lag, inFlight: [...this.inFlight.values()].map((r) => `#${r.index} ${r.layer} ${r.route} [${r.mutations.join("; ")}]`) });
      }
    }, 50);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  begin(req: FuzzRequest): void {
    this.inFlight.set(req.index, req);
  }

  end(req: FuzzRequest): void {
    this.inFlight.delete(req.index);
  }

  summary(max = 10): string[] {
    return this.stalls
      .sort((a, b) => b.ms - a.ms)
      .slice(0, max)
      .map((s) => `stall ${s.ms} ms; in flight: ${s.inFlight.join(" | ").slice(0, 1500)}`);
  }
}
