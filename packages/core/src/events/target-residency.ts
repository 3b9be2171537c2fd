import { legalZoneOf, type ResidencyRequirement } from "../residency.ts";

/**
 * Whether a customer's events may go to a target in `targetCountry`. Event payloads carry
 * object keys, which can be personal data, so the customer's residency rule applies to them as
 * it does to bytes: strict keeps them in the customer's country, jurisdiction in its legal zone,
 * flexible lets them go anywhere. Events without a customer (region-wide) may go anywhere the
 * region itself is allowed to send to; the caller passes the region's own subject for those.
 */
export function eventTargetDecision(
  subject: { requirement: ResidencyRequirement; country: string },
  targetCountry: string,
): { allowed: true } | { allowed: false; reason: string } {
  switch (subject.requirement) {
    case "strict":
      return targetCountry === subject.country
        ? { allowed: true }
        : { allowed: false, reason: `strict residency: events must stay in ${subject.country}, the target is in ${targetCountry}` };
    case "jurisdiction": {
      const zone = legalZoneOf(subject.country);
      return zone !== "OTHER" && legalZoneOf(targetCountry) === zone
        ? { allowed: true }
        : { allowed: false, reason: `jurisdiction residency: events must stay in legal zone ${zone}, the target is in ${targetCountry} (${legalZoneOf(targetCountry)})` };
    }
    case "flexible":
      return { allowed: true };
  }
}
