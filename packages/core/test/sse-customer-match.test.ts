import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isAppError } from "../src/errors.ts";
import { MasterKeyRing } from "../src/secret-box.ts";
import { assertCustomerKey, customerKeyDigest, SSE_C_DIGEST_PURPOSE, type StoredCustomerKey } from "../src/sse/sse-customer-match.ts";
import type { SseCustomerKey } from "../src/sse/sse-customer-key.ts";

const ring = MasterKeyRing.parse(`k1:${randomBytes(32).toString("base64")}`);
const customer = (key = randomBytes(32)): SseCustomerKey => ({ mode: "SSE-C", key, keyMd5: createHash("md5").update(key).digest("base64") });
const right = customer();
const wrong = customer();
const sseC: StoredCustomerKey = { mode: "SSE-C", customerKeyHmac: customerKeyDigest(ring, right) };

function outcome(stored: StoredCustomerKey, given: SseCustomerKey | undefined, use: "read" | "part", r = ring): string {
  try {
    assertCustomerKey(r, stored, given, use);
    return "ok";
  } catch (e) {
    return isAppError(e) ? `${e.status} ${e.code}: ${e.message}` : `Error: ${(e as Error).message}`;
  }
}

describe("SSE-C key checks on reads and parts", () => {
  it("stores a keyed digest of the key under its own purpose, never the key or its MD5", () => {
    expect(sseC.customerKeyHmac).toMatch(/^k1\.[0-9a-f]{64}$/);
    expect(sseC.customerKeyHmac).not.toContain(right.key.toString("hex"));
    expect(sseC.customerKeyHmac).not.toBe(ring.keyedDigest("other", right.key));
    expect(ring.verifyKeyedDigest(SSE_C_DIGEST_PURPOSE, right.key, sseC.customerKeyHmac!)).toBe(true);
  });

  it("reads: right key passes; none is 400, another is 403, a key for a non-SSE-C object is 400", () => {
    expect(outcome(sseC, right, "read")).toBe("ok");
    expect(outcome(sseC, undefined, "read")).toBe("400 InvalidRequest: The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.");
    expect(outcome(sseC, wrong, "read")).toBe("403 AccessDenied: Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.");
    for (const mode of ["AES256", "aws:kms"] as const) {
      expect(outcome({ mode }, undefined, "read")).toBe("ok");
      expect(outcome({ mode }, right, "read")).toBe("400 InvalidRequest: The encryption parameters are not applicable to this object.");
    }
  });

  it("parts: a missing, surplus or different key is each 400 InvalidRequest", () => {
    expect(outcome(sseC, right, "part")).toBe("ok");
    expect(outcome(sseC, undefined, "part")).toMatch(/^400 InvalidRequest: The multipart upload initiate requested encryption/);
    expect(outcome({ mode: "AES256" }, right, "part")).toMatch(/^400 InvalidRequest: The multipart upload initiate requested encryption/);
    expect(outcome(sseC, wrong, "part")).toBe("400 InvalidRequest: The provided encryption parameters did not match the ones used originally.");
  });

  it("a tampered or missing HMAC never passes: another key's digest, a flipped one, none at all", () => {
    expect(outcome({ mode: "SSE-C", customerKeyHmac: customerKeyDigest(ring, wrong) }, right, "read")).toMatch(/^403 AccessDenied/);
    const h = sseC.customerKeyHmac!;
    expect(outcome({ mode: "SSE-C", customerKeyHmac: h.slice(0, -1) + (h.endsWith("0") ? "1" : "0") }, right, "read")).toMatch(/^403 AccessDenied/);
    expect(outcome({ mode: "SSE-C" }, right, "read")).toMatch(/^Error: /);
    expect(outcome({ mode: "SSE-C", customerKeyHmac: "garbage" }, right, "read")).toMatch(/^Error: /);
    // Another region's ring (other master key material under the same id) does not accept it.
    expect(outcome(sseC, right, "read", MasterKeyRing.parse(`k1:${randomBytes(32).toString("base64")}`))).toMatch(/^403 AccessDenied/);
  });
});
