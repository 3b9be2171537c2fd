import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { s3Error } from "../errors.ts";
import { EMPTY_SHA256 } from "./parse.ts";
import { announcedTrailers, canonicalTrailers, checkTrailers, type PayloadChecksum } from "./trailer.ts";
import type { SigV4Credentials, VerifiedRequest } from "./types.ts";
import { s3Signer, sameSignature } from "./verify.ts";

/** A signed chunk is held until its signature checks out, so one chunk is all we ever buffer; refuse absurd ones. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
const MAX_LINE_BYTES = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;

type State = "size" | "data" | "data-end" | "trailer" | "done";

const malformed = (why: string) => s3Error("IncompleteBody", `Malformed aws-chunked body: ${why}.`);

/**
 * Strips aws-chunked framing and yields only the payload, verifying chunk signatures (chained from the seed
 * signature), x-amz-decoded-content-length, the trailing checksum and the trailer signature.
 */
export function awsChunkedDecoder(verified: VerifiedRequest, credentials: SigV4Credentials, headers: Record<string, string>): Transform {
  if (verified.payloadMode === "plain") {
    throw s3Error("InternalError", "awsChunkedDecoder is for aws-chunked bodies; plain bodies go through payloadHashCheck.");
  }
  return new AwsChunkedDecoder(verified, credentials, headers);
}

class AwsChunkedDecoder extends Transform {
  readonly #signed: boolean;
  readonly #signedTrailer: boolean;
  readonly #checksums: Map<string, PayloadChecksum>;
  readonly #expectedLength: number | undefined;
  readonly #sign: (stringToSign: string) => Promise<string>;
  readonly #dateAndScope: string;
  #previousSignature: string;
  #state: State = "size";
  #line: Buffer[] = [];
  #lineBytes = 0;
  #remaining = 0;
  #chunkSignature = "";
  #chunkHash: Hash | undefined;
  #finalChunk = false;
  #held: Buffer[] = [];
  #decoded = 0;
  #trailerBytes = 0;
  readonly #trailers = new Map<string, string>();
  #trailerSignature: string | undefined;

  constructor(verified: VerifiedRequest, credentials: SigV4Credentials, headers: Record<string, string>) {
    super();
    this.#signed = verified.payloadMode !== "streaming-unsigned-trailer";
    this.#signedTrailer = verified.payloadMode === "streaming-signed-trailer";
    this.#checksums = announcedTrailers(headers);
    this.#expectedLength = verified.decodedLength;
    this.#previousSignature = verified.signature;
    const signer = s3Signer(credentials, verified.region);
    const options = { signingDate: verified.signingDate, signingRegion: verified.region, signingService: "s3" };
    this.#sign = (stringToSign) => signer.sign(stringToSign, options);
    const amzDate = verified.signingDate.toISOString().replace(/[-:]|\.\d{3}/g, "");
    this.#dateAndScope = `${amzDate}\n${amzDate.slice(0, 8)}/${verified.region}/s3/aws4_request`;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#consume(data).then(() => callback(), (error: unknown) => callback(error as Error));
  }

  override _flush(callback: TransformCallback): void {
    this.#end().then(() => callback(), (error: unknown) => callback(error as Error));
  }

  async #consume(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      if (this.#state === "data") {
        const piece = data.subarray(offset, offset + Math.min(this.#remaining, data.length - offset));
        offset += piece.length;
        this.#payload(piece);
        if (this.#remaining === 0) await this.#chunkComplete();
        continue;
      }
      if (this.#state === "done") throw malformed("bytes after the end of the body");
      const newline = data.indexOf(0x0a, offset);
      const end = newline < 0 ? data.length : newline + 1;
      this.#appendLine(data.subarray(offset, end));
      offset = end;
      if (newline >= 0) await this.#onLine(this.#takeLine());
    }
  }

  async #end(): Promise<void> {
    if (this.#state === "trailer") {
      // Some encoders end the body right after the final chunk or the last trailer line, without the empty line.
      if (this.#lineBytes > 0) await this.#onLine(this.#takeLine());
      if (this.#state === "trailer") await this.#finish();
    }
    if (this.#state !== "done") throw s3Error("IncompleteBody", "The aws-chunked body ended before its final zero-length chunk.");
  }

  #appendLine(piece: Buffer): void {
    this.#lineBytes += piece.length;
    if (this.#state === "trailer") this.#trailerBytes += piece.length;
    if (this.#lineBytes > MAX_LINE_BYTES || this.#trailerBytes > MAX_TRAILER_BYTES) {
      throw this.#state === "size" ? s3Error("InvalidChunkSizeError", "The chunk header line is too long.") : malformed("oversized line");
    }
    this.#line.push(piece);
  }

  #takeLine(): string {
    const line = Buffer.concat(this.#line).toString("utf8").replace(/\r?\n$/, "");
    this.#line = [];
    this.#lineBytes = 0;
    return line;
  }

  async #onLine(line: string): Promise<void> {
    switch (this.#state) {
      case "size":
        return this.#chunkHeader(line);
      case "data-end":
        if (line !== "") throw malformed("chunk data longer than its declared size");
        this.#state = "size";
        return;
      case "trailer":
        if (line === "") return this.#finish();
        return this.#trailerLine(line);
    }
  }

  async #chunkHeader(line: string): Promise<void> {
    const [size, ...extensions] = line.split(";");
    if (!/^[0-9a-fA-F]{1,16}$/.test(size!)) throw s3Error("InvalidChunkSizeError", `Invalid chunk size "${size}".`);
    const bytes = parseInt(size!, 16);
    if (bytes > MAX_CHUNK_BYTES) throw s3Error("InvalidChunkSizeError", `A chunk may carry at most ${MAX_CHUNK_BYTES} bytes, this one declares ${bytes}.`);
    if (this.#expectedLength !== undefined && this.#decoded + bytes > this.#expectedLength) {
      throw s3Error("IncompleteBody", `The body is longer than x-amz-decoded-content-length (${this.#expectedLength}).`);
    }
    if (this.#signed) {
      const signature = extensions.find((e) => e.startsWith("chunk-signature="))?.slice("chunk-signature=".length);
      if (signature === undefined || !/^[0-9a-f]{64}$/.test(signature)) {
        throw s3Error("SignatureDoesNotMatch", "A chunk of a signed aws-chunked body has no valid chunk-signature.");
      }
      this.#chunkSignature = signature;
      this.#chunkHash = createHash("sha256");
    }
    this.#remaining = bytes;
    this.#finalChunk = bytes === 0;
    this.#state = "data";
    // The final chunk carries no data but its signature still closes the chain.
    if (bytes === 0) await this.#chunkComplete();
  }

  #payload(piece: Buffer): void {
    this.#remaining -= piece.length;
    this.#decoded += piece.length;
    for (const checksum of this.#checksums.values()) checksum.update(piece);
    if (this.#chunkHash) {
      this.#chunkHash.update(piece);
      this.#held.push(piece);
    } else {
      this.push(piece);
    }
  }

  async #chunkComplete(): Promise<void> {
    if (this.#chunkHash) {
      const hash = this.#chunkHash.digest("hex");
      this.#chunkHash = undefined;
      const stringToSign = `AWS4-HMAC-SHA256-PAYLOAD\n${this.#dateAndScope}\n${this.#previousSignature}\n${EMPTY_SHA256}\n${hash}`;
      if (!sameSignature(await this.#sign(stringToSign), this.#chunkSignature)) {
        throw s3Error("SignatureDoesNotMatch", `The chunk signature does not match (chunk ending at payload byte ${this.#decoded}).`);
      }
      this.#previousSignature = this.#chunkSignature;
      for (const piece of this.#held) this.push(piece);
      this.#held = [];
    }
    // After the zero-length chunk come the trailers (if any) and an empty line; after any other, the data's CRLF.
    this.#state = this.#finalChunk ? "trailer" : "data-end";
  }

  #trailerLine(line: string): void {
    const colon = line.indexOf(":");
    if (colon <= 0) throw malformed(`trailer line "${line}" is not name:value`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "x-amz-trailer-signature") {
      this.#trailerSignature = value;
      return;
    }
    if (!this.#checksums.has(name)) throw s3Error("InvalidRequest", `The trailer ${name} was not announced in x-amz-trailer.`);
    if (this.#trailers.has(name)) throw malformed(`trailer ${name} sent twice`);
    this.#trailers.set(name, value);
  }

  async #finish(): Promise<void> {
    if (this.#expectedLength !== undefined && this.#decoded !== this.#expectedLength) {
      throw s3Error("IncompleteBody", `x-amz-decoded-content-length is ${this.#expectedLength} but the body carried ${this.#decoded} bytes.`);
    }
    if (this.#signedTrailer && (this.#trailers.size > 0 || this.#trailerSignature !== undefined)) {
      const signature = this.#trailerSignature ?? "";
      const hash = createHash("sha256").update(canonicalTrailers(this.#trailers)).digest("hex");
      const stringToSign = `AWS4-HMAC-SHA256-TRAILER\n${this.#dateAndScope}\n${this.#previousSignature}\n${hash}`;
      if (!sameSignature(await this.#sign(stringToSign), signature)) {
        throw s3Error("SignatureDoesNotMatch", "The trailer signature is missing or does not match.");
      }
    }
    await checkTrailers(this.#checksums, this.#trailers);
    this.#state = "done";
  }
}
