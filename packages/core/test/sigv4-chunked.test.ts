import { describe, expect, it } from "vitest";
import { awsChunkedDecoder, verifySigV4, type IncomingS3Request, type VerifiedRequest } from "../src/index.ts";
import { AWS_EXAMPLE, CREDS, NOW, incoming, run, runFailing, signedChunks, signedRequest } from "./sigv4-support.ts";

/** AWS's worked example: PUT of 66560 bytes of 'a' in chunks of 65536, 1024 and 0 bytes. */
const EXAMPLE = {
  seed: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
  chunks: [
    [65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"],
    [1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"],
    [0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"],
  ] as const,
  request(): IncomingS3Request {
    return incoming("PUT", "/examplebucket/chunkObject.txt", {}, {
      host: "s3.amazonaws.com",
      "x-amz-date": "20130524T000000Z",
      "x-amz-storage-class": "REDUCED_REDUNDANCY",
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${this.seed}`,
      "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": "66560",
      "content-length": "66824",
    });
  },
  body(): Buffer {
    return Buffer.concat(this.chunks.map(([size, sig]) =>
      Buffer.concat([Buffer.from(`${size.toString(16)};chunk-signature=${sig}\r\n`), Buffer.alloc(size, "a"), Buffer.from("\r\n")])));
  },
};
const EXAMPLE_NOW = new Date("2013-05-24T00:01:00Z");

async function example(): Promise<VerifiedRequest> {
  return verifySigV4(EXAMPLE.request(), AWS_EXAMPLE, EXAMPLE_NOW);
}

describe("STREAMING-AWS4-HMAC-SHA256-PAYLOAD (AWS's documented example)", () => {
  it("verifies the seed signature and every chunk signature, yielding only the payload", async () => {
    const verified = await example();
    expect(verified).toMatchObject({ payloadMode: "streaming-signed", decodedLength: 66560, signature: EXAMPLE.seed });
    const body = EXAMPLE.body();
    expect(body.length).toBe(66824);
    for (const piece of [1, 89, 7919, 1 << 20]) {
      const out = await run(awsChunkedDecoder(verified, AWS_EXAMPLE, EXAMPLE.request().headers), body, piece);
      expect(out.equals(Buffer.alloc(66560, "a")), `pieces of ${piece}`).toBe(true);
    }
  });

  it("refuses tampered chunk data, letting no byte of the bad chunk through", async () => {
    const body = EXAMPLE.body();
    body[body.length - 200] = "b".charCodeAt(0); // inside the 1024-byte chunk
    const { error, passed } = await runFailing(awsChunkedDecoder(await example(), AWS_EXAMPLE, EXAMPLE.request().headers), body);
    expect(error.code).toBe("SignatureDoesNotMatch");
    expect(passed).toBe(65536);
  });

  it("refuses a tampered chunk signature, a reordered chain and a wrong final signature", async () => {
    const headers = EXAMPLE.request().headers;
    const variants = [
      EXAMPLE.body().toString("latin1").replace("ad80c730", "ad80c731"),
      EXAMPLE.body().toString("latin1").replace(EXAMPLE.chunks[2][1], EXAMPLE.chunks[1][1]),
      EXAMPLE.body().toString("latin1").replace(/;chunk-signature=ad80[0-9a-f]+/, ""),
    ];
    for (const body of variants) {
      const { error } = await runFailing(awsChunkedDecoder(await example(), AWS_EXAMPLE, headers), Buffer.from(body, "latin1"));
      expect(error.code).toBe("SignatureDoesNotMatch");
    }
  });

  it("refuses a truncated body and one without its final chunk", async () => {
    const body = EXAMPLE.body();
    for (const cut of [body.length - 90, body.length - 500, 100]) {
      const { error } = await runFailing(awsChunkedDecoder(await example(), AWS_EXAMPLE, EXAMPLE.request().headers), body.subarray(0, cut));
      expect(error.code, `cut at ${cut}`).toBe("IncompleteBody");
    }
  });

  it("refuses a seed signature over different headers", async () => {
    const req = EXAMPLE.request();
    req.headers["x-amz-decoded-content-length"] = "66561";
    await expect(verifySigV4(req, AWS_EXAMPLE, EXAMPLE_NOW)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
  });
});

describe("signed chunked bodies from an SDK-style signer", () => {
  const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31) % 251));

  async function signedUpload(extra: Record<string, string> = {}, mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
    const req = await signedRequest({
      payloadHash: mode,
      headers: { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(payload.length), ...extra },
    });
    const verified = await verifySigV4(req, CREDS, NOW);
    const base = { seed: verified.signature, amzDate: req.headers["x-amz-date"]!, region: "us-east-1", secret: CREDS.secretAccessKey, payload };
    return { req, verified, base };
  }

  it("decodes a multi-chunk upload whatever the chunk size", async () => {
    const { req, verified, base } = await signedUpload();
    for (const chunkSize of [8192, 65536, 1 << 20]) {
      const out = await run(awsChunkedDecoder(verified, CREDS, req.headers), signedChunks({ ...base, chunkSize }));
      expect(out.equals(payload), `chunks of ${chunkSize}`).toBe(true);
    }
  });

  it("checks x-amz-decoded-content-length against the payload", async () => {
    const { req, base } = await signedUpload({ "x-amz-decoded-content-length": String(payload.length + 1) });
    const verified = await verifySigV4(req, CREDS, NOW);
    const { error } = await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), signedChunks({ ...base, chunkSize: 65536 }));
    expect(error.code).toBe("IncompleteBody");
  });

  it("refuses chunks larger than the bound before reading them", async () => {
    const { req, verified } = await signedUpload();
    const header = Buffer.from(`2000000;chunk-signature=${"0".repeat(64)}\r\n`);
    const { error } = await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), header);
    expect(error.code).toBe("InvalidChunkSizeError");
    const { error: notHex } = await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), Buffer.from("zz;chunk-signature=00\r\n"));
    expect(notHex.code).toBe("InvalidChunkSizeError");
  });

  it("verifies the trailer signature and checksum of STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", async () => {
    const { createHash } = await import("node:crypto");
    const sum = createHash("sha256").update(payload).digest("base64");
    const { req, verified, base } = await signedUpload({ "x-amz-trailer": "x-amz-checksum-sha256" }, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
    expect(verified.payloadMode).toBe("streaming-signed-trailer");
    const good = signedChunks({ ...base, chunkSize: 65536, trailers: { "x-amz-checksum-sha256": sum } });
    expect((await run(awsChunkedDecoder(verified, CREDS, req.headers), good)).equals(payload)).toBe(true);

    const forged = good.toString("latin1").replace(sum, createHash("sha256").update("other").digest("base64"));
    const { error } = await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), Buffer.from(forged, "latin1"));
    expect(error.code).toBe("SignatureDoesNotMatch");

    const wrongSum = signedChunks({ ...base, chunkSize: 65536, trailers: { "x-amz-checksum-sha256": createHash("sha256").update("x").digest("base64") } });
    expect((await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), wrongSum)).error.code).toBe("BadDigest");

    const unsignedTrailer = good.toString("latin1").replace(/x-amz-trailer-signature:[0-9a-f]+\r\n/, "");
    expect((await runFailing(awsChunkedDecoder(verified, CREDS, req.headers), Buffer.from(unsignedTrailer, "latin1"))).error.code)
      .toBe("SignatureDoesNotMatch");
  });
});
