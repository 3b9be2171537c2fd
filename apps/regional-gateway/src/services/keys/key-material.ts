import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from "node:crypto";
import type { MasterKeyRing } from "@s3gw/core";

/** KEKs and data keys are AES-256 keys. */
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The first byte of a wrapping: its format, so a later one can be told apart. */
const FORMAT = 0x01;

export interface KekRef { customerId: string; keyId: string; version: number }

/**
 * What a wrapping authenticates besides the bytes: a data key wrapped for one customer, key or
 * version never unwraps as another's, even if someone copies the stored document across rows.
 */
const wrapAad = (ref: KekRef): Buffer => Buffer.from(`s3gw-dek-v1\u0000${ref.customerId}\u0000${ref.keyId}\u0000${ref.version}`, "utf8");

/** The master-key-ring seal context of one KEK version (binds customer, key id and version). */
export const sealContext = (ref: KekRef): string => `customer-key:${ref.customerId}:${ref.keyId}:${ref.version}`;

export const newKekMaterial = (): Buffer => randomBytes(KEY_BYTES);

/** The KEK material sealed under the ring's active master key (base64 inside the seal: it is text-only). */
export function sealKek(ring: MasterKeyRing, ref: KekRef, material: Buffer): string {
  return ring.seal(material.toString("base64"), sealContext(ref));
}

/** Throws when the seal was altered, belongs to another key or version, or its master key is gone. */
export function openKek(ring: MasterKeyRing, ref: KekRef, sealed: string): Buffer {
  const material = Buffer.from(ring.open(sealed, sealContext(ref)), "base64");
  if (material.length !== KEY_BYTES) throw new Error(`customer key ${ref.keyId} version ${ref.version}: sealed material is not ${KEY_BYTES} bytes`);
  return material;
}

/** base64url of `format | iv | tag | ciphertext`: AES-256-GCM of `plaintext` under the KEK version. */
export function wrapKey(kek: Buffer | KeyObject, ref: KekRef, plaintext: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", kek, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(wrapAad(ref));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT), iv, cipher.getAuthTag(), ct]).toString("base64url");
}

/** The wrapped bytes, or undefined when the wrapping is malformed or does not authenticate under `ref`. */
export function unwrapKey(kek: Buffer | KeyObject, ref: KekRef, wrapped: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(wrapped)) return undefined;
  const raw = Buffer.from(wrapped, "base64url");
  if (raw.length < 1 + IV_BYTES + TAG_BYTES + 1 || raw[0] !== FORMAT) return undefined;
  const iv = raw.subarray(1, 1 + IV_BYTES);
  const tag = raw.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", kek, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(wrapAad(ref));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
