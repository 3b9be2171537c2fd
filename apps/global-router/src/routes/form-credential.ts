import type { IncomingMessage, ServerResponse } from "node:http";
import busboy from "busboy";
import { s3Error } from "@s3gw/core";
import { drainUnread } from "../upstream/relay.ts";

/**
 * The fields of a browser form upload precede its file; the region bounds them at 64 KiB. The
 * router reads at most this much (fields plus their part headers) to find the credential.
 */
export const MAX_FORM_PREFIX_BYTES = 80 * 1024;

export interface FormPrefix {
  /** The access key id of the form's x-amz-credential field, if it has one before the file. */
  accessKeyId: string | undefined;
  /** Every byte read so far, to be relayed first, unchanged. */
  prefix: Buffer;
}

/** A POST with a multipart/form-data body and no other credentials: a browser form upload (POST Object). */
export function isFormUpload(method: string, headers: Record<string, string | string[] | undefined>, hasSigV4: boolean): boolean {
  const type = headers["content-type"];
  return method === "POST" && !hasSigV4 && typeof type === "string" && /^multipart\/form-data\s*;/i.test(type);
}

/**
 * Reads a form upload's body up to its `file` part (or its end, or MAX_FORM_PREFIX_BYTES) and
 * takes the access key id from x-amz-credential, so the request can be routed like any SigV4
 * request; the bytes read are kept to be replayed before the rest. The credential is only a
 * routing hint: the region verifies the policy signature. The router has to read before it
 * can route, so a client waiting on Expect: 100-continue is told to go on here.
 */
export function readFormPrefix(incoming: IncomingMessage, outgoing: ServerResponse): Promise<FormPrefix> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let credential: string | undefined;
    let done = false;
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { "content-type": incoming.headers["content-type"] }, limits: { fieldSize: MAX_FORM_PREFIX_BYTES, fieldNameSize: 256 } });
    } catch {
      return reject(s3Error("MalformedPOSTRequest"));
    }
    /** Stops reading: the client's stream is paused where it is, for the relay (or the refusal) to take over. */
    const stop = () => {
      done = true;
      incoming.pause();
      incoming.off("data", onData).off("end", finish).off("error", onError).off("close", onClose);
      parser.removeAllListeners();
      parser.on("error", () => {});
      parser.destroy();
    };
    const fail = (err: Error) => {
      if (done) return;
      stop();
      reject(err);
    };
    const finish = () => {
      if (done) return;
      stop();
      const id = credential?.split("/")[0];
      resolve({ accessKeyId: id === "" ? undefined : id, prefix: Buffer.concat(chunks) });
    };
    const take = (name: string, value: string) => {
      if (name.toLowerCase() === "x-amz-credential") credential ??= value;
    };
    parser.on("field", take);
    parser.on("file", (name, stream) => {
      // Destroying the parser below errors the part it is in; that part is the region's to read.
      stream.on("error", () => {});
      if (name.toLowerCase() === "file") return finish();
      // Some clients send every field as a file part; those are still fields.
      const parts: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => parts.push(chunk));
      stream.on("end", () => take(name, Buffer.concat(parts).toString("utf8")));
    });
    // A form the region will refuse anyway: route on what was found (the region answers).
    parser.on("error", finish);
    parser.on("close", finish);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_FORM_PREFIX_BYTES) {
        // Without a credential so far there is nothing to route by: S3's answer for such a form.
        if (credential === undefined) return fail(s3Error("MaxPostPreDataLengthExceeded", `Your POST request fields preceding the upload file were too large (the global endpoint reads at most ${MAX_FORM_PREFIX_BYTES} bytes of them).`));
        return finish();
      }
      parser.write(chunk);
    };
    const onError = () => fail(s3Error("IncompleteBody", "The connection closed before the whole request body arrived."));
    const onClose = () => {
      if (!done && !incoming.complete) onError();
    };
    incoming.on("data", onData).on("end", finish).on("error", onError).on("close", onClose);
    // Once answered (the region's answer, or the router's own refusal of this form), whatever the
    // client still sends is read and dropped, bounded, so it sees the answer and not a stalled socket.
    outgoing.once("finish", () => drainUnread(incoming));
    if (/^100-continue$/i.test(incoming.headers.expect ?? "") && !outgoing.headersSent) outgoing.writeContinue();
    incoming.resume();
  });
}
