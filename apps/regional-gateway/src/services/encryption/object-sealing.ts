import { hkdfSync } from "node:crypto";
import { customerKeyDigest, s3Error, sseError, type SseRequest } from "@s3gw/core";
import type { EncryptionDocument } from "@s3gw/schema-regional";
import { SEAL_SCHEME, type StorageProvider } from "@s3gw/storage";
import type { Deps } from "../../env.ts";

/**
 * How the blobs of one write are sealed: the stored selection, and the client's key for SSE-C
 * (never stored); null only where the region stores plaintext (ENCRYPT_OBJECTS=false).
 */
export type WriteSealing = { selection: Omit<EncryptionDocument, "dataKey">; customerKey?: Buffer } | null;

/**
 * What a write will be sealed under. Every object is encrypted: without SSE headers (and without
 * a bucket default) it is SSE-S3 under the customer's default key. An SSE-KMS key id must name an
 * enabled key of this customer; the provider refuses any other exactly like an unknown one.
 */
export async function resolveWriteSealing(
  deps: Pick<Deps, "keys" | "config">,
  customerId: string,
  requested: SseRequest | undefined,
  target: Pick<StorageProvider, "gatewayEncryption">,
): Promise<WriteSealing> {
  const { keys } = deps;
  if (deps.config.encryptObjects === false) {
    if (requested) throw s3Error("InvalidRequest", "This region stores objects without encryption (ENCRYPT_OBJECTS=false, for measurements only); SSE cannot be honoured.");
    return null;
  }
  // A customer bucket that encrypts by itself, whose owner opted out: only what a client asks to be encrypted is sealed.
  if (!requested && !target.gatewayEncryption) return null;
  const req = requested ?? { mode: "AES256" };
  if (req.mode === "AES256") return { selection: { mode: "AES256", keyId: await keys.defaultKeyId(customerId) } };
  if (req.mode === "aws:kms") {
    const keyId = req.keyId === undefined ? await keys.defaultKeyId(customerId) : await keys.resolveKey(customerId, req.keyId);
    return { selection: { mode: "aws:kms", keyId, ...(req.context ? { kmsContext: req.context } : {}), ...(req.bucketKeyEnabled ? { bucketKeyEnabled: true } : {}) } };
  }
  return { selection: { mode: "SSE-C", keyId: await keys.defaultKeyId(customerId), customerKeyHmac: customerKeyDigest(deps.config.masterKeys!, req) }, customerKey: req.key };
}

/** A fresh data key for one blob, and the encryption document its row keeps. */
export async function newBlobKey(deps: Pick<Deps, "keys">, customerId: string, sealing: WriteSealing): Promise<{ dataKey: Buffer | undefined; encryption: EncryptionDocument | null }> {
  if (!sealing) return { dataKey: undefined, encryption: null };
  const generated = await deps.keys.generateDataKey({ customerId, keyId: sealing.selection.keyId });
  const dataKey = sealing.customerKey ? customerBlobKey(generated.plaintext, sealing.customerKey) : generated.plaintext;
  return {
    dataKey,
    encryption: { ...sealing.selection, keyId: generated.keyId, dataKey: { scheme: SEAL_SCHEME, keyVersion: generated.keyVersion, wrapped: generated.wrapped } },
  };
}

/**
 * The data key of a blob from its row's encryption; undefined for a plaintext blob (written
 * before encryption at rest). An SSE-C blob also needs the client's key, checked by checkCustomerKey first.
 */
export async function blobKeyOf(deps: Pick<Deps, "keys">, customerId: string, enc: EncryptionDocument | null, customerKey: Buffer | undefined): Promise<Buffer | undefined> {
  if (!enc?.dataKey) return undefined;
  // A layout this gateway does not know is never guessed at: opening it as ours would only fail later, less clearly.
  if (enc.dataKey.scheme !== SEAL_SCHEME) throw new Error(`blob sealed with unknown scheme ${String(enc.dataKey.scheme)}`);
  const plaintext = await deps.keys.decryptDataKey({ customerId, keyId: enc.keyId, keyVersion: enc.dataKey.keyVersion, wrapped: enc.dataKey.wrapped });
  if (enc.mode !== "SSE-C") return plaintext;
  // Callers check the key first (assertCustomerKey); without one the blob cannot be opened at all.
  if (!customerKey) throw sseError.customerKeyRequired();
  return customerBlobKey(plaintext, customerKey);
}

/**
 * SSE-C: the blob key needs both halves, the KEK-wrapped data key (so crypto-shredding reaches
 * SSE-C objects too) and the client's key, which is never stored.
 */
function customerBlobKey(dataKey: Buffer, customerKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.concat([dataKey, customerKey]), Buffer.alloc(0), "s3gw sse-c blob key v1", 32));
}
