import { AppError, legalZoneOf, s3Error } from "@s3gw/core";
import { objectMetadata } from "@s3gw/schema-regional";
import { and, eq, ne } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import { raiseComplianceEvent } from "./compliance-events.ts";
import type { Customer } from "../access/customers.ts";
import { rulesFor, type CustomerRules } from "./rules.ts";

/** The media type without parameters, lower-cased: `Text/Plain; charset=utf-8` → `text/plain`. */
export function mediaTypeOf(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}

export function contentTypeAllowed(allowed: string[], contentType: string): boolean {
  const type = mediaTypeOf(contentType);
  const major = type.split("/")[0];
  return allowed.some((a) => a === type || (a.endsWith("/*") && a.slice(0, -2) === major));
}

/**
 * The jurisdiction a country's law puts data under: its legal zone, except that countries
 * outside every known zone are each their own jurisdiction (Japan and Brazil are not one).
 */
export function jurisdictionOf(country: string): string {
  const zone = legalZoneOf(country);
  return zone === "OTHER" ? `OTHER:${country.toUpperCase()}` : zone;
}

/**
 * Cross-border access: a request whose edge-reported source country is in another
 * jurisdiction than the storage holding the bytes. Requests without the header are not
 * judged (the edge did not say where they come from). Returns the refusal reason, if any.
 */
export function crossBorderRefusal(rules: CustomerRules, sourceCountry: string | null, storageCountry: string): string | undefined {
  if (!rules.blockCrossBorderAccess) return undefined;
  if (sourceCountry === null) {
    return rules.unknownSourceCountry === "allow" ? undefined : "cross-border access blocked: the request's source country is unknown (no trusted edge reported it)";
  }
  if (jurisdictionOf(sourceCountry) === jurisdictionOf(storageCountry)) return undefined;
  return `cross-border access blocked: request from ${sourceCountry} (${jurisdictionOf(sourceCountry)}), data stored in ${storageCountry} (${jurisdictionOf(storageCountry)})`;
}

interface Facts { bucket: string; key: string; sourceCountry: string | null }

async function refuseCrossBorder(deps: Deps, customer: Customer, req: Facts, storageCountry: string, direction: "read" | "write", reason: string): Promise<never> {
  const now = deps.clock.now();
  const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000).toISOString();
  // One event per customer and hour: the operations log has every refused request.
  await raiseComplianceEvent(deps.db, now, {
    customerId: customer.customerId,
    eventType: "cross_border_access_blocked",
    severity: "medium",
    description: `${direction} refused: ${reason}`,
    bucketName: req.bucket,
    objectKey: req.key,
    details: { direction, source_country: req.sourceCountry, storage_country: storageCountry, first_in_hour: hour },
    remediationHours: 72,
    dedupeKey: `crossborder:${customer.customerId}:${hour}`,
  });
  throw s3Error("AccessDenied", reason, { resource: `/${req.bucket}/${req.key}` });
}

function tooLarge(rules: CustomerRules, size: number): AppError {
  // The rule's limit is a policy refusal, answered with HTTP 413 rather than S3's 400.
  return new AppError("EntityTooLarge", 413, `Object size ${size} exceeds the customer's maximum of ${rules.maxObjectSizeBytes} bytes`);
}

export async function enforceWriteRules(deps: Deps, customer: Customer, req: Facts & { contentType: string; declaredSize: number | undefined; storageCountry: string }): Promise<void> {
  const rules = await rulesFor(deps, customer.customerId);
  // The country of the target this write resolved to (a customer bucket may be elsewhere than the hosted store).
  const storageCountry = req.storageCountry;
  const reason = crossBorderRefusal(rules, req.sourceCountry, storageCountry);
  if (reason) await refuseCrossBorder(deps, customer, req, storageCountry, "write", reason);
  if (rules.allowedContentTypes && !contentTypeAllowed(rules.allowedContentTypes, req.contentType)) {
    throw s3Error("ContentTypeNotAllowed", `Content type ${mediaTypeOf(req.contentType)} is not allowed; allowed: ${rules.allowedContentTypes.join(", ")}`, { resource: `/${req.bucket}/${req.key}` });
  }
  if (rules.maxObjectSizeBytes !== null && req.declaredSize !== undefined && req.declaredSize > rules.maxObjectSizeBytes) {
    throw tooLarge(rules, req.declaredSize);
  }
}

/** After the bytes are hashed: the size when no Content-Length was declared, and duplicates. */
export async function enforceContentRules(deps: Deps, customer: Customer, req: Facts & { sha256: string; size: number; bucketId: string }): Promise<void> {
  const rules = await rulesFor(deps, customer.customerId);
  if (rules.maxObjectSizeBytes !== null && req.size > rules.maxObjectSizeBytes) throw tooLarge(rules, req.size);
  if (!rules.rejectDuplicateContent) return;
  // Rewriting the same key with the same bytes is not a duplicate: it is the same object.
  const [dup] = await deps.db
    .select({ key: objectMetadata.objectKey })
    .from(objectMetadata)
    // Current versions only: a noncurrent version is history, not a second copy in use.
    .where(and(eq(objectMetadata.bucketId, req.bucketId), eq(objectMetadata.sha256, req.sha256), ne(objectMetadata.objectKey, req.key), eq(objectMetadata.isLatest, true)))
    .limit(1);
  if (dup) {
    throw s3Error("DuplicateContent", `An object with the same SHA-256 already exists in bucket ${req.bucket}: ${dup.key}`, { resource: `/${req.bucket}/${req.key}` });
  }
}

export async function enforceReadRules(deps: Deps, customer: Customer, req: Facts, storageCountry: string): Promise<void> {
  const rules = await rulesFor(deps, customer.customerId);
  const reason = crossBorderRefusal(rules, req.sourceCountry, storageCountry);
  if (reason) await refuseCrossBorder(deps, customer, req, storageCountry, "read", reason);
}
