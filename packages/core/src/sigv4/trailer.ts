import { createHash } from "node:crypto";
import { AwsCrc32 } from "@aws-crypto/crc32";
import { AwsCrc32c } from "@aws-crypto/crc32c";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import { s3Error } from "../errors.ts";

/** A running checksum of the decoded payload, compared with the base64 value the client sends in its trailer. */
export interface PayloadChecksum {
  update(data: Uint8Array): void;
  base64(): Promise<string>;
}

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

function nodeHash(algorithm: "sha256" | "sha1"): PayloadChecksum {
  const hash = createHash(algorithm);
  return { update: (data) => void hash.update(data), base64: async () => hash.digest("base64") };
}

function awsCrc(crc: AwsCrc32 | AwsCrc32c | Crc64Nvme): PayloadChecksum {
  return { update: (data) => crc.update(data), base64: async () => toBase64(await crc.digest()) };
}

// A Map, not an object literal: a client's x-amz-trailer of "constructor" or "__proto__" must
// not find an inherited property.
const ALGORITHMS = new Map<string, () => PayloadChecksum>([
  ["x-amz-checksum-crc32", () => awsCrc(new AwsCrc32())],
  ["x-amz-checksum-crc32c", () => awsCrc(new AwsCrc32c())],
  ["x-amz-checksum-crc64nvme", () => awsCrc(new Crc64Nvme())],
  ["x-amz-checksum-sha256", () => nodeHash("sha256")],
  ["x-amz-checksum-sha1", () => nodeHash("sha1")],
]);

/** The trailers announced in x-amz-trailer, each with the checksum that will verify it. */
export function announcedTrailers(headers: Record<string, string>): Map<string, PayloadChecksum> {
  const names = (headers["x-amz-trailer"] ?? "").split(",").map((n) => n.trim().toLowerCase()).filter(Boolean);
  const checksums = new Map<string, PayloadChecksum>();
  for (const name of names) {
    const make = ALGORITHMS.get(name);
    if (!make) throw s3Error("InvalidRequest", `The trailer "${name}" announced in x-amz-trailer is not supported.`);
    checksums.set(name, make());
  }
  return checksums;
}

/** What the trailer signature covers: every trailer but the signature, as "name:value\n", sorted by name. */
export function canonicalTrailers(trailers: Map<string, string>): string {
  return [...trailers.keys()].sort().map((name) => `${name}:${trailers.get(name)}\n`).join("");
}

/** Checks every announced trailer arrived and matches the payload. */
export async function checkTrailers(announced: Map<string, PayloadChecksum>, received: Map<string, string>): Promise<void> {
  for (const [name, checksum] of announced) {
    const sent = received.get(name);
    if (sent === undefined) throw s3Error("IncompleteBody", `The trailer ${name} announced in x-amz-trailer never arrived.`);
    const computed = await checksum.base64();
    if (computed !== sent) {
      const algorithm = name.slice("x-amz-checksum-".length).toUpperCase();
      throw s3Error("BadDigest", `The ${algorithm} you specified did not match the calculated checksum (sent ${sent}, computed ${computed}).`);
    }
  }
}
