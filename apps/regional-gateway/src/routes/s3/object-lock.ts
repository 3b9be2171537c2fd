import { assertObjectKey, describePrincipal, S3_XMLNS, s3Error, type Principal } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { setLegalHold, setRetention, type Retention } from "../../services/objects/object-lock.ts";
import { findObject } from "../../services/objects/objects.ts";
import { assertLockEnabled } from "../../services/objects/object-lock-config.ts";
import { parseVersionId } from "../../services/objects/versions.ts";
import { authenticateToken } from "../../services/access/tokens.ts";
import { empty, xml } from "./xml-response.ts";
import { readXmlDocument } from "./xml-body.ts";
import { eventOrigin } from "./event-origin.ts";
import { objectEventContext } from "../../services/events/object-events.ts";

/**
 * The admin behind an S3 request, if it carries `Authorization: Bearer <admin token>` besides
 * X-Customer-ID. A customer-scoped admin token only counts for its own customer.
 */
async function adminPrincipal(c: Context<AppEnv>): Promise<Principal | undefined> {
  const token = c.req.header("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) return undefined;
  const p = await authenticateToken(c.var.deps.db, c.var.deps.config.adminToken, token);
  if (!p || p.role !== "admin" || (p.customerId && p.customerId !== c.var.customer.customerId)) return undefined;
  c.var.op.principal = describePrincipal(p);
  return p;
}

/**
 * Whether this request may bypass GOVERNANCE retention: it must ask (`x-amz-bypass-governance-retention:
 * true`, a signed header) and either be signed with an access key an admin granted `bypass_governance`
 * (like AWS's s3:BypassGovernanceRetention; works through the global endpoint) or carry an admin token.
 * Anyone else asking is ignored, so protection still answers AccessDenied.
 */
export async function governanceBypass(c: Context<AppEnv>): Promise<boolean> {
  if (c.req.header("x-amz-bypass-governance-retention")?.trim().toLowerCase() !== "true") return false;
  const key = c.var.s3Auth?.key;
  if (key) {
    const granted = key.bypassGovernance === true;
    c.var.op.info = { ...c.var.op.info, governance_bypass: granted ? "granted_by_key_permission" : "ignored_key_lacks_permission" };
    return granted;
  }
  const admin = await adminPrincipal(c);
  c.var.op.info = { ...c.var.op.info, governance_bypass: admin ? "granted" : "ignored_not_admin" };
  return admin !== undefined;
}

const legalHoldDoc = z.object({ LegalHold: z.object({ Status: z.enum(["ON", "OFF"]) }) });

/** `<Retention/>` (no Mode, no date) removes the retention, as in S3. */
const retentionDoc = z.object({
  Retention: z.union([
    z.literal(""),
    z.object({ Mode: z.enum(["GOVERNANCE", "COMPLIANCE"]), RetainUntilDate: z.iso.datetime({ offset: true }) }),
  ]),
});

/** The bucket (which must have object lock, S3's InvalidRequest otherwise) and the version addressed. */
async function target(c: Context<AppEnv>, bucketName: string, key: string) {
  assertObjectKey(key);
  const versionId = parseVersionId(c.var.s3Target.query.get("versionId"));
  const bucket = await findBucket(c.var.deps, c.var.customer.customerId, bucketName);
  assertLockEnabled(bucket);
  return { bucket, versionId };
}

export async function getObjectLegalHoldHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { bucket, versionId } = await target(c, bucketName, key);
  const row = await findObject(c.var.deps.db, bucket, key, versionId);
  // An object whose hold was never set has no configuration; one that was lifted answers OFF.
  if (!row.legalHold && !row.legalHoldSetAt) throw s3Error("NoSuchObjectLockConfiguration", undefined, { resource: key });
  return xml(c, { LegalHold: { "@_xmlns": S3_XMLNS, Status: row.legalHold ? "ON" : "OFF" } });
}

export async function putObjectLegalHoldHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const { bucket, versionId } = await target(c, bucketName, key);
  const doc = legalHoldDoc.safeParse(await readXmlDocument(c));
  if (!doc.success) throw s3Error("MalformedXML");
  const on = doc.data.LegalHold.Status === "ON";
  const admin = on ? undefined : await adminPrincipal(c);
  const { before } = await setLegalHold(deps.db, bucket, key, {
    on,
    reason: null,
    by: admin ? describePrincipal(admin) : `customer:${customer.customerId}`,
    now: deps.clock.now(),
    mayLiftManagedHold: admin !== undefined,
    versionId,
    event: await objectEventContext(deps, bucket, eventOrigin(c)),
  });
  op.info = { legal_hold: doc.data.LegalHold.Status, was: before.legalHold ? "ON" : "OFF" };
  return empty(c, 200);
}

export async function getObjectRetentionHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { bucket, versionId } = await target(c, bucketName, key);
  const row = await findObject(c.var.deps.db, bucket, key, versionId);
  if (!row.retentionUntil) throw s3Error("NoSuchObjectLockConfiguration", undefined, { resource: key });
  return xml(c, {
    Retention: { "@_xmlns": S3_XMLNS, Mode: row.retentionMode ?? "GOVERNANCE", RetainUntilDate: row.retentionUntil.toISOString() },
  });
}

export async function putObjectRetentionHandler(c: Context<AppEnv>, bucketName: string, key: string): Promise<Response> {
  const { deps, op } = c.var;
  const { bucket, versionId } = await target(c, bucketName, key);
  const doc = retentionDoc.safeParse(await readXmlDocument(c));
  if (!doc.success) throw s3Error("MalformedXML");
  const r = doc.data.Retention;
  const next: Retention | null = r === "" ? null : { mode: r.Mode, until: new Date(r.RetainUntilDate) };
  const bypass = await governanceBypass(c);
  const { before } = await setRetention(deps.db, bucket, key, next, { now: deps.clock.now(), bypassGovernance: bypass, versionId, event: await objectEventContext(deps, bucket, eventOrigin(c)) });
  op.info = {
    ...op.info,
    retention: next ? { mode: next.mode, until: next.until.toISOString() } : null,
    was: before.retentionUntil ? { mode: before.retentionMode, until: before.retentionUntil.toISOString() } : null,
  };
  return empty(c, 200);
}
