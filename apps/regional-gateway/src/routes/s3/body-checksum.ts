import { pipeline, Transform, type Readable } from "node:stream";
import { checksumHeader, newChecksum, parseChecksumAlgorithm, parseChecksumValue, s3Error, type ChecksumAlgorithm } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";

/** x-amz-checksum-* headers that are not a checksum value. */
const NOT_VALUES = new Set(["x-amz-checksum-type", "x-amz-checksum-algorithm", "x-amz-checksum-mode"]);

/** What a body's flexible checksum is checked against: the algorithm, and the value a header gave (a trailer's is checked by the body reader). */
export interface BodyChecksumSpec { algorithm: ChecksumAlgorithm; expected: Buffer | undefined }

/**
 * The flexible checksum a body comes with: one `x-amz-checksum-<algorithm>` header, or a
 * trailer announced in x-amz-trailer. `required` is the algorithm a multipart upload was
 * created with: a part in another one is refused, a part without one is checksummed by us.
 */
export function bodyChecksumSpec(c: Context<AppEnv>, required?: ChecksumAlgorithm | null): BodyChecksumSpec | undefined {
  const headers: [string, string][] = [];
  c.req.raw.headers.forEach((value, name) => {
    if (name.startsWith("x-amz-checksum-") && !NOT_VALUES.has(name)) headers.push([name, value]);
  });
  if (headers.length > 1) throw s3Error("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
  const trailer = (c.req.header("x-amz-trailer") ?? "").split(",").map((t) => t.trim().toLowerCase()).find((t) => t.startsWith("x-amz-checksum-"));
  const named = headers[0]?.[0] ?? trailer;
  const algorithm = named === undefined ? undefined : parseChecksumAlgorithm(named.slice("x-amz-checksum-".length));
  if (required && algorithm !== undefined && algorithm !== required) {
    throw s3Error("InvalidRequest", `Checksum Type mismatch occurred, expected checksum Type: ${required.toLowerCase()}, actual checksum Type: ${algorithm.toLowerCase()}`);
  }
  const chosen = algorithm ?? required ?? undefined;
  if (chosen === undefined) return undefined;
  return { algorithm: chosen, expected: headers[0] ? parseChecksumValue(chosen, headers[0][1]) : undefined };
}

/**
 * The body with its checksum computed on the way to storage: a value that does not match the
 * header errors the stream at its end (BadDigest), so storage keeps nothing. `value()` is the
 * base64 checksum once the stream has ended.
 */
export function checksummed(body: Readable, spec: BodyChecksumSpec): { stream: Readable; value: () => string } {
  const sum = newChecksum(spec.algorithm);
  let value: string | undefined;
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sum.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      sum.digest().then((digest) => {
        if (spec.expected && !digest.equals(spec.expected)) {
          done(s3Error("BadDigest", `The ${spec.algorithm} you specified did not match the calculated checksum.`));
          return;
        }
        value = digest.toString("base64");
        done();
      }, done);
    },
  });
  const stream = pipeline(body, check, () => {});
  return {
    stream,
    value: () => {
      if (value === undefined) throw new Error("checksum read before the body ended");
      return value;
    },
  };
}

/** The response header naming a body's checksum (PutObject, UploadPart answer with it). */
export const checksumResponseHeader = (spec: BodyChecksumSpec, value: string): Record<string, string> => ({ [checksumHeader(spec.algorithm)]: value });

/**
 * Keeps a PutObject's flexible checksum with the object, as a stored header answered under
 * x-amz-checksum-mode (a SHA-256 is the object's own digest already). Called once the bytes are stored.
 */
export function keepChecksum(systemMetadata: Record<string, string>, spec: BodyChecksumSpec | undefined, checked: { value: () => string } | undefined): void {
  if (spec && checked && spec.algorithm !== "SHA256") systemMetadata[checksumHeader(spec.algorithm)] = checked.value();
}
