import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MasterKeyRing } from "../src/secret-box.ts";

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const spec = (...keys: [string, Buffer][]) => keys.map(([id, k]) => `${id}:${k.toString("base64")}`).join(",");
const customerKey = randomBytes(32);

describe("MasterKeyRing keyed digests (SSE-C key HMACs)", () => {
  it("is <active key id>.<hex HMAC-SHA256> under an HKDF key of the master key and purpose, never the data", () => {
    const ring = MasterKeyRing.parse(spec(["k1", k1]));
    const d = ring.keyedDigest("sse-c", customerKey);
    expect(d).toMatch(/^k1\.[0-9a-f]{64}$/);
    expect(d).not.toContain(customerKey.toString("hex"));
    // Recomputed independently: HKDF-SHA256(master, fixed salt, purpose label), then HMAC-SHA256.
    const derived = Buffer.from(hkdfSync("sha256", k1, Buffer.from("s3gw keyed digest v1"), Buffer.from("keyed-digest:sse-c"), 32));
    expect(d).toBe(`k1.${createHmac("sha256", derived).update(customerKey).digest("hex")}`);
    // Not the HMAC under the master key itself: the master key is never used directly.
    expect(d).not.toBe(`k1.${createHmac("sha256", k1).update(customerKey).digest("hex")}`);
    expect(ring.keyedDigest("sse-c", customerKey)).toBe(d);
  });

  it("verifies the same data only: another key, another purpose, a flipped digest all fail", () => {
    const ring = MasterKeyRing.parse(spec(["k1", k1]));
    const d = ring.keyedDigest("sse-c", customerKey);
    expect(ring.verifyKeyedDigest("sse-c", customerKey, d)).toBe(true);
    expect(ring.verifyKeyedDigest("sse-c", randomBytes(32), d)).toBe(false);
    expect(ring.verifyKeyedDigest("other-purpose", customerKey, d)).toBe(false);
    const last = d.at(-1) === "0" ? "1" : "0";
    expect(ring.verifyKeyedDigest("sse-c", customerKey, d.slice(0, -1) + last)).toBe(false);
    // A different region's master key with the same id does not verify it either.
    expect(MasterKeyRing.parse(spec(["k1", k2])).verifyKeyedDigest("sse-c", customerKey, d)).toBe(false);
  });

  it("after a rotation, new digests use the new key and old ones verify under the key they name", () => {
    const before = MasterKeyRing.parse(spec(["k1", k1]));
    const old = before.keyedDigest("sse-c", customerKey);
    const after = MasterKeyRing.parse(spec(["k1", k1], ["k2", k2]), "k2");
    const fresh = after.keyedDigest("sse-c", customerKey);
    expect(fresh.startsWith("k2.")).toBe(true);
    expect(fresh).not.toBe(old);
    expect(after.verifyKeyedDigest("sse-c", customerKey, old)).toBe(true);
    expect(after.verifyKeyedDigest("sse-c", customerKey, fresh)).toBe(true);
    // Relabelling an old digest with the new key id does not make it verify.
    expect(after.verifyKeyedDigest("sse-c", customerKey, `k2.${old.slice(3)}`)).toBe(false);
  });

  it("throws (configuration error or damage) when the named key is gone or the digest is malformed", () => {
    const old = MasterKeyRing.parse(spec(["k1", k1])).keyedDigest("sse-c", customerKey);
    const onlyK2 = MasterKeyRing.parse(spec(["k2", k2]));
    expect(() => onlyK2.verifyKeyedDigest("sse-c", customerKey, old)).toThrow("master key k1 is not configured");
    for (const bad of ["", "k2", "k2.", `k2.${"a".repeat(63)}`, `k2.${"A".repeat(64)}`, `k.2.${"a".repeat(64)}`, `v1.k2.${"a".repeat(64)}`]) {
      expect(() => onlyK2.verifyKeyedDigest("sse-c", customerKey, bad), bad).toThrow();
    }
  });
});
