import { CUSTOMER_KEY_STATES } from "@s3gw/schema-regional";
import { z } from "zod";
import { int, iso, isoOrNull, strOrNull } from "./response-fields.ts";

/** Responses of tokens, S3 access keys, presigned URLs and customer keys. */
export const tokenSchema = z.strictObject({
  token_id: z.uuid(),
  name: z.string(),
  role: z.enum(["admin", "compliance_officer", "auditor"]),
  customer_id: strOrNull,
  created_by: z.string(),
  created_at: iso,
  revoked_at: isoOrNull,
}).meta({ id: "ApiToken" });
export const tokenCreatedSchema = tokenSchema.extend({ token: z.string().startsWith("s3gw_") });
export const tokenListSchema = z.strictObject({ tokens: z.array(tokenSchema) });

export const accessKeySchema = z.strictObject({
  access_key_id: z.string().regex(/^S3GW[A-Z2-7]{16}$/),
  customer_id: z.string(),
  description: strOrNull,
  permission: z.enum(["read-only", "read-write"]),
  allowed_buckets: z.array(z.string()).nullable(),
  bypass_governance: z.boolean(),
  status: z.enum(["active", "disabled"]),
  created_by: z.string(),
  created_at: iso,
  updated_at: iso,
}).meta({ id: "AccessKey" });
export const accessKeyCreatedSchema = accessKeySchema.extend({ secret_access_key: z.string().min(20) });
const resealed = { re_encrypted: int, unreadable: z.array(z.string()), total: int };
export const rotateMasterKeySchema = z.strictObject({
  active_key_id: z.string(),
  ...resealed,
  storage_targets: z.strictObject(resealed),
  notification_targets: z.strictObject(resealed),
});
export const presignedSchema = z.strictObject({ url: z.url(), method: z.enum(["GET", "PUT"]), access_key_id: z.string(), expires_at: iso });
export const customerKeySchema = z.strictObject({
  key_id: z.uuid(),
  arn: z.string(),
  customer_id: z.string(),
  description: strOrNull,
  is_default: z.boolean(),
  state: z.enum(CUSTOMER_KEY_STATES),
  current_version: int,
  deletion_date: isoOrNull,
  created_by: z.string(),
  created_at: iso,
  updated_at: iso,
}).meta({ id: "CustomerKey" });
