import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { awsChunkedDecoder, verifySigV4 } from "../src/index.ts";
import { CREDS, NOW, crc32c, run, runFailing, signedRequest, unsignedChunks } from "./sigv4-support.ts";

const payload = Buffer.from(Array.from({ length: 150_001 }, (_, i) => (i * 7 + (i >> 8)) % 256));

const base64 = {
  "x-amz-checksum-crc32": (data: Buffer) => { const b = Buffer.alloc(4); b.writeUInt32BE(crc32(data)); return b.toString("base64"); },
  "x-amz-checksum-crc32c": crc32c,
  "x-amz-checksum-sha256": (data: Buffer) => createHash("sha256").update(data).digest("base64"),
  "x-amz-checksum-sha1": (data: Buffer) => createHash("sha1").update(data).digest("base64"),
};

/** The headers @aws-sdk/client-s3 sends by default on PutObject and UploadPart. */
async function sdkUpload(trailer: string, length = payload.length) {
  const req = await signedRequest({
    payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    headers: { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(length), "x-amz-trailer": trailer },
  });
  return { req, verified: await verifySigV4(req, CREDS, NOW) };
}

describe("STREAMING-UNSIGNED-PAYLOAD-TRAILER", () => {
  for (const [name, checksum] of Object.entries(base64)) {
    it(`accepts a body whose ${name} trailer matches and refuses one whose does not`, async () => {
      const { req, verified } = await sdkUpload(name);
      expect(verified).toMatchObject({ payloadMode: "streaming-unsigned-trailer", decodedLength: payload.length });
      const good = unsignedChunks(payload, 65536, `${name}:${checksum(payload)}`);
      for (const piece of [3, 65536 + 7, good.length]) {
        expect((await run(awsChunkedDecoder(verified, CREDS, req.headers), good, piece)).equals(payload), `pieces of ${piece}`).toBe(true);
      }
      const wrong = unsignedChunks(payload, 65536, `${name}:${checksum(Buffer.from("something else"))}`);
      expect((await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), wrong)).error.code).toBe("BadDigest");
      const flipped = Buffer.from(good);
      flipped[100] = flipped[100]! ^ 1;
      expect((await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), flipped)).error.code).toBe("BadDigest");
    });
  }

  it("refuses a body whose announced trailer never arrives, or that sends one it did not announce", async () => {
    const { req, verified } = await sdkUpload("x-amz-checksum-crc32");
    const missing = Buffer.concat([unsignedChunks(payload, 65536, "").subarray(0, -4), Buffer.from("\r\n")]);
    expect((await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), missing)).error.code).toBe("IncompleteBody");
    const other = unsignedChunks(payload, 65536, `x-amz-checksum-crc32c:${crc32c(payload)}`);
    expect((await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), other)).error.code).toBe("InvalidRequest");
  });

  it("checks x-amz-decoded-content-length and the chunk framing", async () => {
    const trailer = `x-amz-checksum-crc32:${base64["x-amz-checksum-crc32"](payload)}`;
    const short = await sdkUpload("x-amz-checksum-crc32", payload.length + 10);
    expect((await runFailing(awsChunkedDecoder(short.verified, CREDS, short.req.headers), unsignedChunks(payload, 65536, trailer))).error.code)
      .toBe("IncompleteBody");
    const long = await sdkUpload("x-amz-checksum-crc32", payload.length - 10);
    expect((await runFailing(awsChunkedDecoder(long.verified, CREDS, long.req.headers), unsignedChunks(payload, 65536, trailer))).error.code)
      .toBe("IncompleteBody");
    const { req, verified } = await sdkUpload("x-amz-checksum-crc32");
    const body = unsignedChunks(payload, 65536, trailer);
    const overlong = Buffer.from(body.toString("latin1").replace("10000\r\n", "fff0\r\n"), "latin1");
    expect((await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), overlong)).error.code).toBe("IncompleteBody");
    const trailing = Buffer.concat([body, Buffer.from("junk")]);
    expect((await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), trailing)).error.code).toBe("IncompleteBody");
    expect((await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), body.subarray(0, 70_000))).error.code).toBe("IncompleteBody");
  });

  it("accepts the SDK's ending without a final empty line when nothing was announced", async () => {
    const req = await signedRequest({ payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", headers: { "content-encoding": "aws-chunked" } });
    const verified = await verifySigV4(req, CREDS, NOW);
    const body = Buffer.concat([Buffer.from("5\r\nhello\r\n0\r\n")]);
    expect((await run(awsChunkedDecoder(verified, CREDS, req.headers), body)).toString()).toBe("hello");
  });

  it("refuses checksum algorithms it cannot verify instead of skipping them", async () => {
    const { req, verified } = await sdkUpload("x-amz-checksum-crc32");
    for (const trailer of ["x-amz-checksum-xxhash64", "x-amz-meta-foo", "constructor", "__proto__", "toString"]) {
      expect(() => awsChunkedDecoder(verified, CREDS, { ...req.headers, "x-amz-trailer": trailer }), trailer).toThrow(/not supported/);
    }
  });
});
