import type { Deps } from "../../env.ts";
import type { Bucket } from "./buckets.ts";
import { getLifecycle, type LifecycleRule } from "./lifecycle.ts";

const DAY_MS = 86_400_000;

export interface Expiration { date: Date; ruleId: string }

function matches(rule: LifecycleRule, obj: { key: string; tags: Record<string, string> }): boolean {
  if (!rule.enabled || (rule.expirationDays === null && !rule.expirationDate) || !obj.key.startsWith(rule.prefix)) return false;
  return Object.entries(rule.tags).every(([k, v]) => Object.hasOwn(obj.tags, k) && obj.tags[k] === v);
}

/**
 * When a lifecycle rule will expire an object, as S3 announces it: its last modification plus
 * the rule's days, rounded up to the next midnight UTC, or the rule's Date; of several
 * matching rules, the earliest (ties: the first rule).
 */
export function expirationOf(rules: readonly LifecycleRule[], obj: { key: string; tags: Record<string, string>; lastModified: Date }): Expiration | undefined {
  let best: Expiration | undefined;
  for (const rule of rules) {
    if (!matches(rule, obj)) continue;
    const date = rule.expirationDate
      ? new Date(rule.expirationDate)
      : new Date(Math.ceil((obj.lastModified.getTime() + rule.expirationDays! * DAY_MS) / DAY_MS) * DAY_MS);
    if (!best || date < best.date) best = { date, ruleId: rule.id };
  }
  return best;
}

/** `x-amz-expiration` for a PUT or HEAD answer, or nothing when no rule expires the object. */
export async function expirationHeaders(deps: Pick<Deps, "db" | "cache">, bucket: Bucket, obj: { objectKey: string; tags: Record<string, string>; lastModified: Date }): Promise<Record<string, string>> {
  const rules = await getLifecycle(deps, bucket);
  const exp = rules && expirationOf(rules, { key: obj.objectKey, tags: obj.tags, lastModified: obj.lastModified });
  if (!exp) return {};
  return { "x-amz-expiration": `expiry-date="${exp.date.toUTCString()}", rule-id="${headerParameter(exp.ruleId)}"` };
}

/** A rule id inside a quoted header parameter: quotes and backslashes escaped, anything not printable ASCII percent-encoded as UTF-8. */
function headerParameter(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[^\x20-\x7e]/gu, (ch) => [...Buffer.from(ch, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("")).replace(/["\\]/g, "\\$&");
}
