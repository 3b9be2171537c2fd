import { assertObjectOwnership, S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";
import { empty, xml } from "./xml-response.ts";

/**
 * Object ownership is always BucketOwnerEnforced (the customer owns everything, ACLs grant
 * nothing beyond it): reported as such, a PUT may only restate it, DELETE leaves it. Nothing is stored.
 */
export async function getOwnershipControlsHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  await findBucket(c.var.deps, c.var.customer.customerId, bucketName);
  return xml(c, { OwnershipControls: { "@_xmlns": S3_XMLNS, Rule: { ObjectOwnership: "BucketOwnerEnforced" } } });
}

export async function putOwnershipControlsHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  await findBucket(c.var.deps, c.var.customer.customerId, bucketName);
  const root = elements((await readXmlDocument(c)).OwnershipControls)[0];
  const rules = elements(root?.Rule);
  if (rules.length !== 1) throw s3Error("MalformedXML", "OwnershipControls needs exactly one Rule");
  const ownership = text(rules[0]!.ObjectOwnership);
  if (ownership === undefined) throw s3Error("MalformedXML", "The Rule needs an ObjectOwnership");
  assertObjectOwnership(ownership);
  return empty(c, 200);
}

export async function deleteOwnershipControlsHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  await findBucket(c.var.deps, c.var.customer.customerId, bucketName);
  c.var.op.info = { ...c.var.op.info, kept: "BucketOwnerEnforced" };
  return empty(c, 204);
}
