import { boolean, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Where an object's bytes are: one row per customer bucket ever configured (hosted storage is
 * the region's own provider and needs no row). Objects record the target id they were written
 * to, so a configuration change never strands them. Credentials are sealed with the region's
 * master key and rotate in place.
 */
export const storageTargets = pgTable("storage_targets", {
  targetId: text("target_id").primaryKey(),
  customerId: text("customer_id").notNull(),
  providerLabel: text("provider_label").notNull(),
  endpoint: text("endpoint"),
  region: text("region").notNull(),
  country: text("country").notNull(),
  /**
   * How the country is known: from an AWS region name (a fact about a place), or declared by
   * an admin for any other endpoint (a claim nobody here can check), with who and when.
   */
  countrySource: text("country_source").$type<"aws_region" | "declared">().notNull().default("declared"),
  countryDeclaredBy: text("country_declared_by"),
  countryDeclaredAt: timestamp("country_declared_at", { withTimezone: true }),
  bucket: text("bucket").notNull(),
  pathPrefix: text("path_prefix"),
  /** SSE the gateway asks the bucket for on every write (`x-amz-server-side-encryption`); null: none. */
  bucketSse: text("bucket_sse").$type<"AES256" | "aws:kms">(),
  /**
   * False: the customer opted out of the gateway's own encryption for this bucket (allowed only
   * with `bucket_sse`, so the bucket encrypts what it stores); writes without SSE headers then
   * store plaintext there. A target's policy never changes under its objects: another is a new target.
   */
  gatewayEncryption: boolean("gateway_encryption").notNull().default(true),
  accessKeyId: text("access_key_id").notNull(),
  secretCiphertext: text("secret_ciphertext").notNull(),
  sessionTokenCiphertext: text("session_token_ciphertext"),
  /** `hmac-sha256:<master key id>:<hex>`: keyed with a region key, so it cannot be checked against guessed secrets. */
  secretFingerprint: text("secret_fingerprint").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
