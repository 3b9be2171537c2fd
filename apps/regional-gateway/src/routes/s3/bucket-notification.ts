import { eventTargetArn } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { configureBucketNotifications, readBucketNotifications } from "../../services/events/bucket-notifications.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { notificationConfigurationXml, parseNotificationConfiguration } from "./notification-xml.ts";
import { readXmlDocument } from "./xml-body.ts";
import { empty, xml } from "./xml-response.ts";

/** `PUT/GET ?notification`: the bucket's event notifications, naming this region's targets by ARN. */

export async function putBucketNotificationHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const drafts = parseNotificationConfiguration(await readXmlDocument(c));
  const config = await configureBucketNotifications(deps, { bucket, customer, drafts });
  op.info = { rules: config.rules.length, targets: [...new Set(config.rules.map((r) => r.targetId))] };
  return empty(c, 200);
}

export async function getBucketNotificationHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const config = await readBucketNotifications(deps, await findBucket(deps, customer.customerId, bucketName));
  const regionId = deps.config.region.region_id;
  return xml(c, notificationConfigurationXml(config?.rules ?? [], (id) => eventTargetArn(regionId, id)));
}
