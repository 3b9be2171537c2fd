import { SSE_BUCKET_KEY_HEADER, SSE_CONTEXT_HEADER, SSE_HEADER, SSE_KMS_KEY_ID_HEADER, type SseRequest } from "./sse-request.ts";

/**
 * The part of an object's stored encryption (schema/regional's `EncryptionDocument`) that
 * responses describe. Structural, as core cannot import the schema package.
 */
export interface SseObjectEncryption {
  mode: "AES256" | "aws:kms" | "SSE-C";
  /** The customer key (KEK) id; named in responses only for aws:kms. */
  keyId: string;
  kmsContext?: string;
  bucketKeyEnabled?: boolean;
}

/** Whose key an ARN names: the region the object lives in and the customer owning the key. */
export interface KmsKeyOwner {
  regionId: string;
  customerId: string;
}

/** `arn:aws:kms:<region id, lower case>:<customer id>:key/<key id>`, the form AWS names an object's key by. */
export function kmsKeyArn(owner: KmsKeyOwner, keyId: string): string {
  if (keyId.startsWith("arn:")) return keyId;
  return `arn:aws:kms:${owner.regionId.toLowerCase()}:${owner.customerId}:key/${keyId}`;
}

export interface SseResponseOptions extends KmsKeyOwner {
  /** The request's parsed SSE-C key, whose MD5 is echoed; SSE-C headers are answered only with it (we never store the MD5). */
  request?: SseRequest | undefined;
  /** PutObject, CopyObject and CreateMultipartUpload echo the KMS context; GET and HEAD never do. */
  includeContext?: boolean;
}

/**
 * The response headers for an object's encryption. SSE-C objects never carry
 * `x-amz-server-side-encryption`; a Bucket Key is named only when enabled (as S3 omits `false`).
 */
export function sseResponseHeaders(enc: SseObjectEncryption, opts: SseResponseOptions): Record<string, string> {
  if (enc.mode === "SSE-C") {
    const md5 = opts.request?.mode === "SSE-C" ? opts.request.keyMd5 : undefined;
    return md5 === undefined
      ? {}
      : { "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key-MD5": md5 };
  }
  if (enc.mode === "AES256") return { [SSE_HEADER]: "AES256" };
  return {
    [SSE_HEADER]: "aws:kms",
    [SSE_KMS_KEY_ID_HEADER]: kmsKeyArn(opts, enc.keyId),
    ...(enc.bucketKeyEnabled ? { [SSE_BUCKET_KEY_HEADER]: "true" } : {}),
    ...(opts.includeContext && enc.kmsContext !== undefined ? { [SSE_CONTEXT_HEADER]: enc.kmsContext } : {}),
  };
}
