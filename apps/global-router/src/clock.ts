/** Injected so tests can control time-dependent behaviour (negative cache, health cache). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
