import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

const INFO = "s3gw customer-storage credential fingerprint v1";
const FORMAT = /^hmac-sha256:([A-Za-z0-9_-]{1,64}):([0-9a-f]{24})$/;

/**
 * The region keys credential fingerprints are computed with: derived (HKDF-SHA256) from a
 * dedicated secret when configured (CREDENTIAL_FINGERPRINT_KEY, label `cfg`), else from each
 * master key (labelled with its id). A bare hash of a secret can be checked against guessed
 * secrets by anyone who reads the row or the API; an HMAC cannot without the region's key.
 */
export class FingerprintKeys {
  readonly activeLabel: string;
  readonly #keys: ReadonlyMap<string, Buffer>;

  private constructor(keys: Map<string, Buffer>, activeLabel: string) {
    this.#keys = keys;
    this.activeLabel = activeLabel;
  }

  /** From the raw settings; undefined when neither a dedicated secret nor master keys are configured. */
  static fromSettings(opts: { dedicated?: string | undefined; masterKeys?: string | undefined; activeMasterKeyId?: string | undefined; regionId: string }): FingerprintKeys | undefined {
    const derive = (ikm: Buffer) => Buffer.from(hkdfSync("sha256", ikm, Buffer.from(opts.regionId, "utf8"), INFO, 32));
    if (opts.dedicated) return new FingerprintKeys(new Map([["cfg", derive(Buffer.from(opts.dedicated, "utf8"))]]), "cfg");
    if (!opts.masterKeys || !opts.activeMasterKeyId) return undefined;
    const keys = new Map<string, Buffer>();
    // The ring has already validated the list (ids, base64, 32 bytes); only the bytes are needed here.
    for (const entry of opts.masterKeys.split(",").map((e) => e.trim()).filter(Boolean)) {
      const colon = entry.indexOf(":");
      keys.set(entry.slice(0, colon), derive(Buffer.from(entry.slice(colon + 1), "base64")));
    }
    return new FingerprintKeys(keys, opts.activeMasterKeyId);
  }

  /** `hmac-sha256:<key label>:<24 hex>` under the active key. */
  fingerprint(secret: string): string {
    return this.under(this.activeLabel, secret)!;
  }

  /**
   * Whether a stored fingerprint can stay as it is: computed under a key this region still
   * has. Legacy bare-hash fingerprints and ones under a retired key are recomputed on read.
   */
  isCurrent(stored: string): boolean {
    const m = FORMAT.exec(stored);
    return m !== null && this.#keys.has(m[1]!);
  }

  /** Whether `stored` is the fingerprint of `secret` (under the key it names). */
  matches(stored: string, secret: string): boolean {
    const m = FORMAT.exec(stored);
    const expected = m ? this.under(m[1]!, secret) : undefined;
    return expected !== undefined && timingSafeEqual(Buffer.from(expected), Buffer.from(stored));
  }

  private under(label: string, secret: string): string | undefined {
    const key = this.#keys.get(label);
    if (!key) return undefined;
    return `hmac-sha256:${label}:${createHmac("sha256", key).update(secret, "utf8").digest("hex").slice(0, 24)}`;
  }
}
