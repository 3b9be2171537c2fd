import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/** Master key ids appear inside ciphertexts and the MASTER_KEYS list, so they avoid `.`, `:` and `,`. */
export const MASTER_KEY_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
/** HKDF salt of keyed digests: fixed, so a digest is reproducible from the master key and purpose alone. */
const DIGEST_SALT = Buffer.from("s3gw keyed digest v1", "utf8");
const DIGEST_RE = /^([A-Za-z0-9_-]{1,64})\.([0-9a-f]{64})$/;

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

  /**
   * `<active key id>.<hex HMAC-SHA256>` of `data` under a key derived (HKDF-SHA256) from the
   * active master key for `purpose`: a value can be recognised later (an SSE-C key) without
   * being stored. Each purpose has its own key, so digests of one use never verify in another.
   */
  keyedDigest(purpose: string, data: Buffer | string): string {
    return `${this.activeKeyId}.${this.#digest(this.activeKeyId, purpose, data).toString("hex")}`;
  }

  /**
   * Whether `data` has the digest `stored`, under the master key `stored` names (so digests made
   * before a rotation keep verifying while that key is configured). Compared in constant time.
   * Throws when `stored` is malformed or its key is not configured: that is damage or a
   * configuration error, not a wrong value.
   */
  verifyKeyedDigest(purpose: string, data: Buffer | string, stored: string): boolean {
    const m = DIGEST_RE.exec(stored);
    if (!m) throw new Error("not a keyed digest");
    const keyId = m[1]!;
    if (!this.#keys.has(keyId)) throw new Error(`master key ${keyId} is not configured (MASTER_KEYS)`);
    return timingSafeEqual(this.#digest(keyId, purpose, data), Buffer.from(m[2]!, "hex"));
  }

  /** `purpose` is a fixed label (e.g. "sse-c"); what the digest binds to belongs in `data`. HKDF is cheap, so nothing is cached. */
  #digest(keyId: string, purpose: string, data: Buffer | string): Buffer {
    const key = Buffer.from(hkdfSync("sha256", this.#keys.get(keyId)!, DIGEST_SALT, Buffer.from(`keyed-digest:${purpose}`, "utf8"), KEY_BYTES));
    return createHmac("sha256", key).update(data).digest();
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
