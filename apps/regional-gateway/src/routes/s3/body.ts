import type { Readable } from "node:stream";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { parseContentLength } from "./object-headers.ts";

/**
 * The payload of an S3 write as the handler should store it, and its length if known. Every
 * handler that reads a request body (PutObject, UploadPart, ...) takes it from here, so
 * transfer encodings (aws-chunked) and payload-signature checks are handled in one place.
 */
export function requestBody(c: Context<AppEnv>): { stream: Readable; size: number | undefined } {
  return { stream: c.env.incoming, size: parseContentLength(c.req.header("content-length")) };
}
