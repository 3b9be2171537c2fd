import type { Readable } from "node:stream";
import { awsChunkedDecoder, payloadHashCheck } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { parseContentLength } from "./object-headers.ts";

/**
 * The payload of an S3 write as the handler should store it, and its length if known. Every
 * handler that reads a request body (PutObject, UploadPart, ...) takes it from here, so
 * aws-chunked decoding and payload-signature checks happen in one place: a body that fails
 * them errors the stream, and the storage layer keeps nothing of it.
 */
export function requestBody(c: Context<AppEnv>): { stream: Readable; size: number | undefined } {
  const incoming = c.env.incoming;
  const declared = parseContentLength(c.req.header("content-length"));
  const auth = c.get("s3Auth");
  if (!auth) return { stream: incoming, size: declared };
  const { verified, credentials, request } = auth;
  if (verified.payloadMode === "plain") {
    return { stream: through(incoming, payloadHashCheck(verified)), size: declared };
  }
  return { stream: through(incoming, awsChunkedDecoder(verified, credentials, request.headers)), size: verified.decodedLength };
}

function through(source: Readable, transform: NodeJS.ReadWriteStream & Readable): Readable {
  source.on("error", (err) => transform.destroy(err));
  // The body starts flowing before the handler hands it to storage; a bad chunk in that window
  // must stay on the stream (`errored`, seen by the storage pipeline), not crash the process.
  transform.on("error", () => {});
  return source.pipe(transform);
}
