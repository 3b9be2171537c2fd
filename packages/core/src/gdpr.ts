/** GDPR data-subject requests (Articles 15-22): the request types and the statutory deadline rules. */
export const GDPR_REQUEST_TYPES = ["access", "erasure", "rectification", "restriction", "portability", "objection"] as const;
export type GdprRequestType = (typeof GDPR_REQUEST_TYPES)[number];

/** Types the gateway carries out itself; rectification and objection need a human decision and are tracked only. */
export const EXECUTABLE_GDPR_TYPES: readonly GdprRequestType[] = ["access", "portability", "erasure", "restriction"];

export const GDPR_STATUSES = ["pending", "in_progress", "completed", "rejected"] as const;
export type GdprStatus = (typeof GDPR_STATUSES)[number];

export const OPEN_GDPR_STATUSES: readonly GdprStatus[] = ["pending", "in_progress"];

/** How close to its deadline an open request raises a near-deadline alert. */
export const GDPR_NEAR_DEADLINE_DAYS = 7;

/**
 * Art. 12(3): the controller answers "within one month of receipt". One calendar month in UTC,
 * same time of day; a day the next month lacks is clamped to its last day (31 Jan → 28/29 Feb),
 * so the period never spills into the month after.
 */
export function gdprResponseDeadline(receivedAt: Date): Date {
  const y = receivedAt.getUTCFullYear();
  const m = receivedAt.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(receivedAt.getUTCDate(), lastDay);
  return new Date(
    Date.UTC(y, m, day, receivedAt.getUTCHours(), receivedAt.getUTCMinutes(), receivedAt.getUTCSeconds(), receivedAt.getUTCMilliseconds()),
  );
}

export type DeadlineState = "overdue" | "near" | "ok";

/** Where an open request stands against its deadline; closed requests have no deadline state. */
export function gdprDeadlineState(status: GdprStatus, deadline: Date, now: Date, nearDays = GDPR_NEAR_DEADLINE_DAYS): DeadlineState | null {
  if (!OPEN_GDPR_STATUSES.includes(status)) return null;
  const left = deadline.getTime() - now.getTime();
  if (left <= 0) return "overdue";
  return left <= nearDays * 86_400_000 ? "near" : "ok";
}
