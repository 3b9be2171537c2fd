import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DATA_KEY_BYTES } from "./segments.ts";

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A fresh random data key: one per blob, never reused (segment nonces are counters). */
export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

/** AES-256-GCM wrap of a key under `wrappingKey`, `aad` bound: iv | tag | ciphertext. */
export function wrapKey(wrappingKey: Buffer, key: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", wrappingKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([cipher.update(key), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

/** The key back, or undefined when `wrapped` does not authenticate under this key and `aad`. */
export function unwrapKey(wrappingKey: Buffer, wrapped: Buffer, aad: string): Buffer | undefined {
  if (wrapped.length <= IV_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv("aes-256-gcm", wrappingKey, wrapped.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
