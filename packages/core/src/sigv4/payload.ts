import { createHash } from "node:crypto";
import { PassThrough, Transform } from "node:stream";
import { s3Error } from "../errors.ts";
import { UNSIGNED_PAYLOAD } from "./parse.ts";
import type { VerifiedRequest } from "./types.ts";

/**
 * For "plain" payloads: passes the body through and fails at its end with XAmzContentSHA256Mismatch if it is not
 * the body that was signed. The failure comes after the bytes, so whatever consumes them must discard its work on error.
 */
export function payloadHashCheck(verified: VerifiedRequest): Transform {
  if (verified.payloadMode !== "plain") {
    throw s3Error("InternalError", `payloadHashCheck is for plain bodies, this one is ${verified.payloadMode}.`);
  }
  if (verified.payloadHash === UNSIGNED_PAYLOAD) return new PassThrough();
  const expected = verified.payloadHash.toLowerCase();
  const hash = createHash("sha256");
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const computed = hash.digest("hex");
      callback(computed === expected ? null : s3Error(
        "XAmzContentSHA256Mismatch",
        `The provided 'x-amz-content-sha256' header does not match what was computed (ClientComputedContentSHA256: ${expected}, S3ComputedContentSHA256: ${computed}).`,
      ));
    },
  });
}
