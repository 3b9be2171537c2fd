import { Transform, type Readable } from "node:stream";
import { awsChunkedDecoder, isAppError, payloadHashCheck, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import type { BodySpec } from "./operations.ts";
import { parseContentLength } from "./object-headers.ts";

/**
 * The one reader of S3 request bodies. Every operation with a body (object bytes, XML
 * documents) takes it from here, so the same checks hold for all: the payload hash or the
 * aws-chunked chunk signatures and trailers, and the operation's size limit from the table.
 * A body that fails them errors the stream, and the storage layer keeps nothing of it.
 */
export function requestBody(c: Context<AppEnv>): { stream: Readable; size: number | undefined } {
  const spec = bodySpec(c);
  const incoming = c.env.incoming;
  const auth = c.get("s3Auth");
  const streaming = auth !== undefined && auth.verified.payloadMode !== "plain";
  const size = declaredBodySize(c);
  // The client waits for this before sending the body; it comes only after every check so far passed.
  if (/^100-continue$/i.test(c.req.header("expect") ?? "") && !c.env.outgoing.headersSent) c.env.outgoing.writeContinue();
  const limited = through(incoming, limit(spec.maxBytes, () => tooLarge(spec.kind, spec.maxBytes)));
  if (!auth) return { stream: limited, size };
  const { verified, credentials, request } = auth;
  const check = streaming ? awsChunkedDecoder(verified, credentials, request.headers) : payloadHashCheck(verified);
  return { stream: through(limited, check), size };
}

function bodySpec(c: Context<AppEnv>): Exclude<BodySpec, { kind: "none" }> {
  const spec = c.get("s3Operation").body;
  if (spec.kind === "none") throw new Error(`${c.get("s3Operation").name} reads no body according to the operation table`);
  return spec;
}

/**
 * The body's size as the request declares it (the decoded length for aws-chunked bodies),
 * refused at once when over the operation's limit; undefined when not declared. Cheap and
 * without I/O, so a handler can refuse an oversized upload before any other check.
 */
export function declaredBodySize(c: Context<AppEnv>): number | undefined {
  const spec = bodySpec(c);
  const verified = c.get("s3Auth")?.verified;
  const size = verified && verified.payloadMode !== "plain" ? verified.decodedLength : parseContentLength(c.req.header("content-length"));
  if (size !== undefined && size > spec.maxBytes) throw tooLarge(spec.kind, spec.maxBytes);
  return size;
}

function tooLarge(kind: "xml" | "bytes", maxBytes: number): Error {
  return kind === "xml" ? s3Error("MalformedXML", `The XML document exceeds ${maxBytes} bytes`) : s3Error("EntityTooLarge");
}

/** Errors the stream once more than `maxBytes` arrived (the wire size, before aws-chunked decoding shrinks it). */
function limit(maxBytes: number, error: () => Error): Transform {
  let seen = 0;
  // aws-chunked framing adds a signature line per chunk; allow for it on the wire.
  const wireMax = maxBytes + Math.max(64 * 1024, Math.ceil(maxBytes / 8192) * 180);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > wireMax) done(error());
      else done(null, chunk);
    },
  });
}

function through(source: Readable, transform: Transform): Readable {
  // A client that goes away mid-body is an incomplete body (400), never a server fault.
  source.on("error", (err) => transform.destroy(isAppError(err) ? err : s3Error("IncompleteBody", "The connection closed before the whole request body arrived.")));
  // The body starts flowing before the handler hands it to storage; a bad chunk in that window
  // must stay on the stream (`errored`, seen by the storage pipeline), not crash the process.
  transform.on("error", () => {});
  return source.pipe(transform);
}
