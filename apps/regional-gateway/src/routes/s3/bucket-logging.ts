import { S3_XMLNS, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { findBucket } from "../../services/objects/buckets.ts";
import { getBucketLogging, putBucketLogging, type LogKeyFormat, type LoggingRequest } from "../../services/objects/bucket-logging.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";
import { empty, xml } from "./xml-response.ts";

const prefixSchema = z.string().max(512).refine((p) => !/[\u0000-\u001f\u007f]/.test(p), "control characters");

/** `<TargetObjectKeyFormat>`: absent or `<SimplePrefix/>` is the simple form; `<PartitionedPrefix>` names its date source. */
function keyFormatOf(node: unknown): LogKeyFormat {
  if (node === undefined || node === "") return { kind: "simple" };
  const format = elements(node)[0];
  if (!format) throw s3Error("MalformedXML");
  const keys = Object.keys(format);
  if (keys.length !== 1) throw s3Error("MalformedXML", "TargetObjectKeyFormat takes exactly one of SimplePrefix and PartitionedPrefix");
  if ("SimplePrefix" in format) {
    if (format.SimplePrefix !== "") throw s3Error("MalformedXML");
    return { kind: "simple" };
  }
  const partitioned = elements(format.PartitionedPrefix)[0] ?? (format.PartitionedPrefix === "" ? {} : undefined);
  if (!partitioned) throw s3Error("MalformedXML");
  const source = partitioned.PartitionDateSource === undefined ? "EventTime" : text(partitioned.PartitionDateSource);
  if (source !== "EventTime" && source !== "DeliveryTime") throw s3Error("MalformedXML", "PartitionDateSource must be EventTime or DeliveryTime");
  return { kind: "partitioned", dateSource: source };
}

/** The `<BucketLoggingStatus>` document: empty turns logging off; `<LoggingEnabled>` names the target. */
function parseLoggingStatus(doc: Record<string, unknown>): LoggingRequest | undefined {
  const raw = doc.BucketLoggingStatus;
  const root = raw === "" ? {} : elements(raw)[0];
  if (!root) throw s3Error("MalformedXML");
  const { "@_xmlns": _ns, LoggingEnabled: enabledNode, ...rest } = root;
  if (Object.keys(rest).length > 0) throw s3Error("MalformedXML");
  if (enabledNode === undefined) return undefined;
  const enabled = elements(enabledNode);
  if (enabled.length !== 1) throw s3Error("MalformedXML");
  const { TargetBucket, TargetPrefix, TargetGrants, TargetObjectKeyFormat, ...unknown } = enabled[0]!;
  if (Object.keys(unknown).length > 0) throw s3Error("MalformedXML");
  // Log objects are the bucket owner's, like every object here: grants to anyone else are refused by design.
  if (TargetGrants !== undefined && TargetGrants !== "") throw s3Error("AccessDenied", "TargetGrants are refused: log objects belong to the bucket owner only (grants never reach another customer)", { resource: "TargetGrants" });
  const bucket = text(TargetBucket);
  if (!bucket) throw s3Error("MalformedXML", "LoggingEnabled needs a TargetBucket");
  const prefix = prefixSchema.safeParse(TargetPrefix === undefined ? "" : text(TargetPrefix));
  if (!prefix.success) throw s3Error("InvalidArgument", "TargetPrefix must be text of at most 512 characters without control characters", { resource: "TargetPrefix" });
  return { targetBucket: bucket, targetPrefix: prefix.data, keyFormat: keyFormatOf(TargetObjectKeyFormat) };
}

export async function putBucketLoggingHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer, op } = c.var;
  const bucket = await findBucket(deps, customer.customerId, bucketName);
  const request = parseLoggingStatus(await readXmlDocument(c));
  const stored = await putBucketLogging(deps, bucket, request);
  op.info = { ...op.info, logging: stored ? { target_bucket: stored.targetBucket, target_prefix: stored.targetPrefix, key_format: stored.keyFormat.kind } : "disabled" };
  return empty(c, 200);
}

export async function getBucketLoggingHandler(c: Context<AppEnv>, bucketName: string): Promise<Response> {
  const { deps, customer } = c.var;
  const logging = await getBucketLogging(deps, await findBucket(deps, customer.customerId, bucketName));
  if (!logging) return xml(c, { BucketLoggingStatus: { "@_xmlns": S3_XMLNS } });
  const format = logging.keyFormat.kind === "simple" ? { SimplePrefix: "" } : { PartitionedPrefix: { PartitionDateSource: logging.keyFormat.dateSource } };
  return xml(c, {
    BucketLoggingStatus: {
      "@_xmlns": S3_XMLNS,
      LoggingEnabled: { TargetBucket: logging.targetBucket, TargetPrefix: logging.targetPrefix, TargetObjectKeyFormat: format },
    },
  });
}
