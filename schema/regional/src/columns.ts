import { customType } from "drizzle-orm/pg-core";

/** Text compared byte-wise, so ORDER BY and range seeks match S3's UTF-8 binary key order. */
export const binaryText = customType<{ data: string }>({
  dataType: () => 'text COLLATE "C"',
});

/**
 * How an object, an upload or one blob is encrypted (the `encryption` jsonb columns). A blob's
 * row carries its wrapped data key; an object completed from parts, and an upload in progress,
 * carry only the selection (mode, key, SSE-C key HMAC): each part has its own data key.
 */
export interface EncryptionDocument {
  /** The S3 mode a client sees. */
  mode: "AES256" | "aws:kms" | "SSE-C";
  /** The customer key (KEK) id; the customer's default key for AES256 and SSE-C. */
  keyId: string;
  /** `x-amz-server-side-encryption-context` as given (base64 JSON), SSE-KMS only. */
  kmsContext?: string;
  /** `x-amz-server-side-encryption-bucket-key-enabled` as asked (answered back; every data key is per blob regardless). */
  bucketKeyEnabled?: boolean;
  /** SSE-C: `<master key id>.<hex HMAC-SHA256>` of the customer-provided key; never the key. */
  customerKeyHmac?: string;
  /** The blob's data key wrapped by version `keyVersion` of the KEK (SSE-C: by the customer's key first). */
  dataKey?: { scheme: "seg256k-gcm-v1"; keyVersion: number; wrapped: string };
}
