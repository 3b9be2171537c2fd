import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** Master key ids appear inside ciphertexts and the MASTER_KEYS list, so they avoid `.`, `:` and `,`. */
export const MASTER_KEY_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;

/**
 * The region's master keys for secrets at rest (AES-256-GCM). New secrets are sealed under
 * the active key; opening uses the key id recorded in the ciphertext, so secrets sealed
 * before a rotation stay readable while the old key is still configured.
 */
export class MasterKeyRing {
  readonly activeKeyId: string;
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(keys: ReadonlyMap<string, Buffer>, activeKeyId: string) {
    for (const [id, key] of keys) {
      if (!MASTER_KEY_ID_RE.test(id)) throw new Error(`master key id "${id}" must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'`);
      if (key.length !== KEY_BYTES) throw new Error(`master key ${id} must be ${KEY_BYTES} bytes, not ${key.length}`);
    }
    if (!keys.has(activeKeyId)) throw new Error(`the active master key id ${activeKeyId} is not among the configured keys (${[...keys.keys()].join(", ")})`);
    this.#keys = new Map([...keys].map(([id, key]) => [id, Buffer.from(key)]));
    this.activeKeyId = activeKeyId;
  }

  /**
   * `MASTER_KEYS` (`<id>:<base64 of 32 bytes>`, comma-separated) and `MASTER_KEY_ID`; the
   * active id may be omitted only when there is exactly one key.
   */
  static parse(masterKeys: string, activeKeyId?: string): MasterKeyRing {
    const keys = new Map<string, Buffer>();
    for (const entry of masterKeys.split(",").map((e) => e.trim()).filter(Boolean)) {
      const colon = entry.indexOf(":");
      if (colon <= 0) throw new Error(`each master key must be <id>:<base64>, got an entry without an id`);
      const id = entry.slice(0, colon);
      const encoded = entry.slice(colon + 1);
      if (keys.has(id)) throw new Error(`master key id ${id} is listed twice`);
      if (!/^[A-Za-z0-9+/_-]+=*$/.test(encoded)) throw new Error(`master key ${id} is not base64`);
      keys.set(id, Buffer.from(encoded, "base64"));
    }
    if (keys.size === 0) throw new Error("no master keys given");
    if (activeKeyId === undefined) {
      if (keys.size > 1) throw new Error("several master keys are configured: name the active one with MASTER_KEY_ID");
      activeKeyId = [...keys.keys()][0]!;
    }
    return new MasterKeyRing(keys, activeKeyId);
  }

  keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  /** `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts). `context` is bound as AAD: the row the secret belongs to. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#keys.get(this.activeKeyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, this.activeKeyId, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ct.toString("base64url")].join(".");
  }

  /** Throws if the key is not configured, or the ciphertext was altered or belongs to another context. */
  open(sealed: string, context: string): string {
    const { keyId, iv, tag, ct } = parseSealed(sealed);
    const key = this.#keys.get(keyId);
    if (!key) throw new Error(`master key ${keyId} is not configured (MASTER_KEYS)`);
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
    } catch {
      throw new Error(`ciphertext under master key ${keyId} does not authenticate (altered, or sealed for another record)`);
    }
  }
}

/** The master key id a sealed secret names. */
export function sealedKeyId(sealed: string): string {
  return parseSealed(sealed).keyId;
}

function parseSealed(sealed: string): { keyId: string; iv: Buffer; tag: Buffer; ct: Buffer } {
  const parts = sealed.split(".");
  const [version, keyId, iv, tag, ct] = parts;
  if (parts.length !== 5 || version !== VERSION || !keyId || !MASTER_KEY_ID_RE.test(keyId) || ![iv, tag, ct].every((p) => p !== undefined && B64URL_RE.test(p))) {
    throw new Error("not a v1 sealed secret");
  }
  const ivBytes = Buffer.from(iv!, "base64url");
  const tagBytes = Buffer.from(tag!, "base64url");
  if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new Error("not a v1 sealed secret");
  return { keyId, iv: ivBytes, tag: tagBytes, ct: Buffer.from(ct!, "base64url") };
}
