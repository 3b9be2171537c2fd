import { COPY_SOURCE_SSE_C_PREFIX, hasCustomerKeyHeaders, parseCustomerKey, SSE_C_PREFIX, type HeaderGetter, type SseCustomerKey } from "./sse-customer-key.ts";
import { sseError } from "./sse-errors.ts";

export const SSE_HEADER = "x-amz-server-side-encryption";
export const SSE_KMS_KEY_ID_HEADER = "x-amz-server-side-encryption-aws-kms-key-id";
export const SSE_CONTEXT_HEADER = "x-amz-server-side-encryption-context";
export const SSE_BUCKET_KEY_HEADER = "x-amz-server-side-encryption-bucket-key-enabled";

/** The encryption a write asks for; undefined when it names none (the bucket's default applies). */
export type SseRequest =
  | { mode: "AES256" }
  | { mode: "aws:kms"; keyId?: string; context?: string; bucketKeyEnabled?: boolean }
  | SseCustomerKey;

export interface SseParseOptions {
  /**
   * write: PutObject, CopyObject's destination, CreateMultipartUpload, a POST form's fields.
   * read: GetObject, HeadObject, UploadPart (only SSE-C's trio is meaningful).
   * copy-source: the `x-amz-copy-source-server-side-encryption-customer-*` trio of CopyObject / UploadPartCopy.
   */
  kind: "write" | "read" | "copy-source";
  /**
   * Whether the request arrived over TLS (or the embedded stack's loopback). When false, SSE-C
   * is refused: a key sent in the clear is compromised. Left undefined, the caller decides.
   */
  secure?: boolean;
}

/**
 * The SSE request headers of one request, validated as S3 validates them. `get` reads
 * lower-case names, so the same code serves request headers and POST form fields.
 */
export function parseSseRequest(get: HeaderGetter, opts: { kind: "write"; secure?: boolean }): SseRequest | undefined;
export function parseSseRequest(get: HeaderGetter, opts: { kind: "read" | "copy-source"; secure?: boolean }): SseCustomerKey | undefined;
export function parseSseRequest(get: HeaderGetter, opts: SseParseOptions): SseRequest | undefined;
export function parseSseRequest(get: HeaderGetter, opts: SseParseOptions): SseRequest | undefined {
  if (opts.kind === "copy-source") return customerKey(get, COPY_SOURCE_SSE_C_PREFIX, opts.secure);
  if (opts.kind === "read") {
    if (get(SSE_HEADER) !== undefined) throw sseError.notForReads();
    return customerKey(get, SSE_C_PREFIX, opts.secure);
  }
  if (hasCustomerKeyHeaders(get, SSE_C_PREFIX)) {
    // Checked before the trio itself, as AWS does: the conflict is the first thing wrong.
    if (get(SSE_HEADER) !== undefined) throw sseError.incompatibleWithSseC();
    if (get(SSE_KMS_KEY_ID_HEADER) !== undefined || get(SSE_CONTEXT_HEADER) !== undefined) throw sseError.kmsKeyWithoutKms();
    return customerKey(get, SSE_C_PREFIX, opts.secure);
  }
  return serverManaged(get);
}

function customerKey(get: HeaderGetter, prefix: string, secure: boolean | undefined): SseCustomerKey | undefined {
  const key = parseCustomerKey(get, prefix);
  if (key && secure === false) throw sseError.customerInsecure();
  return key;
}

/** SSE-S3 or SSE-KMS from `x-amz-server-side-encryption` and its companions. */
function serverManaged(get: HeaderGetter): SseRequest | undefined {
  const method = get(SSE_HEADER);
  const keyId = get(SSE_KMS_KEY_ID_HEADER);
  const context = get(SSE_CONTEXT_HEADER);
  const bucketKey = parseBucketKeyEnabled(get(SSE_BUCKET_KEY_HEADER));
  if (method !== "aws:kms") {
    if (method !== undefined && method !== "AES256") throw sseError.unsupportedMethod();
    if (keyId !== undefined || context !== undefined) throw sseError.kmsKeyWithoutKms();
    // A Bucket Key flag with SSE-S3 is accepted and has no effect, as S3 treats it.
    return method === undefined ? undefined : { mode: "AES256" };
  }
  if (keyId !== undefined && keyId.trim() === "") throw sseError.emptyKmsKeyId();
  if (context !== undefined) validateContext(context);
  return {
    mode: "aws:kms",
    ...(keyId === undefined ? {} : { keyId: keyId.trim() }),
    ...(context === undefined ? {} : { context }),
    ...(bucketKey === undefined ? {} : { bucketKeyEnabled: bucketKey }),
  };
}

function parseBucketKeyEnabled(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  throw sseError.invalidBucketKeyEnabled();
}

/** AWS KMS's encryption context header: base64 of UTF-8 JSON, an object whose values are all strings. */
export function validateContext(context: string): Record<string, string> {
  const bytes = Buffer.from(context, "base64");
  if (bytes.length === 0 || bytes.toString("base64") !== context) throw sseError.invalidContext();
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw sseError.invalidContext();
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw sseError.invalidContext();
  if (!Object.values(parsed).every((v) => typeof v === "string")) throw sseError.invalidContext();
  return parsed as Record<string, string>;
}
