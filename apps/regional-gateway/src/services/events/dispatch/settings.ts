/** How the region's event dispatcher runs (EVENT_* environment variables, parsed in config.ts). */
export interface EventDispatcherSettings {
  /** EVENT_DISPATCHER: whether this instance competes for the dispatcher lease at all. */
  enabled: boolean;
  /** EVENT_POLL_MS: pause between ticks (lease renewal, fan-out, due deliveries). */
  pollMs: number;
  /** EVENT_LEASE_TTL_MS: how long a holder that stopped renewing blocks a takeover. */
  leaseTtlMs: number;
  /** EVENT_MAX_AGE_SECONDS: a delivery still failing this long after its creation is dead. */
  maxAgeSeconds: number;
  /** EVENT_RETRY_BASE_MS / EVENT_RETRY_MAX_MS: exponential backoff with full jitter between attempts. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** EVENT_RETENTION_HOURS: finished events are kept this long for the deliveries API. */
  retentionHours: number;
  /** EVENT_TARGET_CONCURRENCY: sends in flight per target (different ordering keys). */
  targetConcurrency: number;
}

export const EVENT_DISPATCHER_DEFAULTS: EventDispatcherSettings = {
  enabled: true,
  pollMs: 250,
  leaseTtlMs: 15_000,
  maxAgeSeconds: 86_400,
  retryBaseMs: 1000,
  retryMaxMs: 5 * 60_000,
  retentionHours: 168,
  targetConcurrency: 8,
};
