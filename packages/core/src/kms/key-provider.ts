/**
 * Envelope encryption of object bytes: each blob has its own random data key, wrapped by one
 * of its customer's key-encryption keys (KEKs). A KEK is versioned; its material is held by a
 * key provider: the local one (KEKs in the region's Postgres, sealed by the master key ring)
 * by default, or an external KMS behind this same interface.
 */

/** The S3 server-side-encryption mode a client sees for an object. */
export type SseMode = "AES256" | "aws:kms" | "SSE-C";

/** A data key as stored beside a blob: which KEK (and version) wrapped it, and the wrapped bytes. */
export interface WrappedDataKey {
  keyId: string;
  keyVersion: number;
  /** base64url of the provider's wrapping of the 32-byte data key. */
  wrapped: string;
}

export interface KeyProvider {
  /**
   * A fresh 32-byte data key under the customer's key `keyId` at its current version, or under
   * the customer's default key (created on first use) when `keyId` is absent. Throws the KMS
   * errors of kms-errors.ts when the key is unknown (to this customer) or not enabled.
   */
  generateDataKey(input: { customerId: string; keyId?: string }): Promise<{ plaintext: Buffer } & WrappedDataKey>;
  /** The plaintext data key; throws the KMS errors when the key is unknown, disabled, pending deletion or destroyed. */
  decryptDataKey(input: { customerId: string } & WrappedDataKey): Promise<Buffer>;
  /**
   * The customer's key id for what a client named (a key id or `arn:aws:kms:<region>:<customer>:key/<id>`),
   * checked enabled. Another customer's key is refused exactly like an unknown one.
   */
  resolveKey(customerId: string, keyIdOrArn: string): Promise<string>;
  /** The customer's default key id (created on first use). */
  defaultKeyId(customerId: string): Promise<string>;
}
