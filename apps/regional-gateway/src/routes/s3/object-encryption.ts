import { assertCustomerKey, parseSseRequest, sseResponseHeaders, type SseCustomerKey, type SseRequest } from "@s3gw/core";
import type { EncryptionDocument } from "@s3gw/schema-regional";
import type { StorageProvider } from "@s3gw/storage";
import type { Context } from "hono";
import { privateTransport } from "../../client-transport.ts";
import type { AppEnv } from "../../env.ts";
import { blobKeyOf, resolveWriteSealing, type WriteSealing } from "../../services/encryption/object-sealing.ts";
import type { BlobKeys } from "../../services/encryption/object-bytes.ts";

/** Objects written before encryption at rest: for the SSE-C check, like any object that is not SSE-C. */
const PLAINTEXT = { mode: "AES256" } as const;

/** The SSE a write's headers ask for; undefined when they name none (the bucket's default applies). */
export function requestedSse(c: Context<AppEnv>): SseRequest | undefined {
  return parseSseRequest((name) => c.req.header(name), { kind: "write", secure: privateTransport(c) });
}

/** The SSE-C key a read (GET, HEAD, UploadPart) sends for the object, or the copy source's key. */
export function givenCustomerKey(c: Context<AppEnv>, of: "object" | "copy-source" = "object"): SseCustomerKey | undefined {
  return parseSseRequest((name) => c.req.header(name), { kind: of === "object" ? "read" : "copy-source", secure: privateTransport(c) });
}

/**
 * The data keys for reading one object with what the request gave, and the SSE-C check the
 * reader runs first (400 missing, 403 wrong), so no byte is opened without the right key.
 */
export function readKeys(c: Context<AppEnv>, given: SseCustomerKey | undefined): { check: (enc: EncryptionDocument | null) => void; keys: BlobKeys } {
  const deps = c.get("deps");
  return {
    check: (enc) => assertCustomerKey(deps.config.masterKeys!, enc ?? PLAINTEXT, given, "read"),
    keys: (customerId, enc) => blobKeyOf(deps, customerId, enc, given?.key),
  };
}

/** The SSE response headers of an object (none for plaintext written before encryption at rest). */
export function encryptionHeaders(c: Context<AppEnv>, enc: EncryptionDocument | null, request?: SseRequest, includeContext = false): Record<string, string> {
  if (!enc) return {};
  return sseResponseHeaders(enc, { regionId: c.get("deps").config.region.region_id, customerId: c.get("customer").customerId, request, includeContext });
}

/**
 * How one part of an upload is sealed: under the upload's selection, each part with its own
 * data key. An SSE-C upload needs the same customer key on every part (400 without, 403 another).
 */
export async function partSealing(
  c: Context<AppEnv>,
  upload: { encryption: EncryptionDocument | null },
  given: SseCustomerKey | undefined,
  target: Pick<StorageProvider, "gatewayEncryption">,
): Promise<WriteSealing> {
  const deps = c.get("deps"), customer = c.get("customer");
  // An upload created before encryption at rest: its new parts are sealed all the same.
  if (!upload.encryption) return resolveWriteSealing(deps, customer.customerId, undefined, target);
  assertCustomerKey(deps.config.masterKeys!, upload.encryption, given, "part");
  return { selection: upload.encryption, ...(given ? { customerKey: given.key } : {}) };
}
