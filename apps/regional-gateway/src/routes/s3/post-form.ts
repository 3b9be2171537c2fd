import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import busboy from "busboy";
import { s3Error, unstorableTextReason } from "@s3gw/core";

/** Bounds of a browser form's fields, which are held in memory (the file is streamed). */
export const POST_FORM_LIMITS = {
  /** Every non-file field together, names included. */
  fieldBytes: 64 * 1024,
  /** The policy field alone. */
  policyBytes: 20 * 1024,
  fields: 100,
};

export interface PostForm {
  /** Non-file fields by lower-cased name (S3 compares field names case-insensitively). */
  fields: Map<string, string>;
  file: { stream: Readable; filename: string; contentType: string };
}

/**
 * Reads a multipart/form-data POST up to its `file` part: the fields before it (bounded, in
 * memory), then the file as a stream that flows only as fast as it is consumed. Fields after the
 * file are ignored, as S3 does. Parts with a filename but another name (some clients send every
 * field that way) are fields. Resolves at the file part; rejects with S3's error otherwise.
 */
export function readPostForm(incoming: IncomingMessage, contentType: string | undefined): Promise<PostForm> {
  if (!/^multipart\/form-data\s*;/i.test(contentType ?? "")) {
    return Promise.reject(s3Error("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data (Content-Type must be multipart/form-data with a boundary)."));
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { "content-type": contentType },
        defParamCharset: "utf8",
        limits: { fieldNameSize: 256, fieldSize: POST_FORM_LIMITS.fieldBytes, fields: POST_FORM_LIMITS.fields, parts: POST_FORM_LIMITS.fields + 2, headerPairs: 20 },
      });
    } catch {
      return reject(s3Error("MalformedPOSTRequest"));
    }
    const fields = new Map<string, string>();
    let fieldBytes = 0;
    const pendingFields: Promise<void>[] = [];
    let file: PostForm["file"] | undefined;
    let settled = false;
    let current: Readable | undefined;
    const fail = (err: Error) => {
      current?.destroy(err);
      if (settled) return;
      settled = true;
      incoming.unpipe(parser);
      reject(err);
    };
    const tooLarge = () => s3Error("MaxPostPreDataLengthExceeded", `Your POST request fields preceding the upload file were too large (at most ${POST_FORM_LIMITS.fieldBytes} bytes).`);
    const addField = (rawName: string, value: string) => {
      const name = rawName.toLowerCase();
      fieldBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
      if (fieldBytes > POST_FORM_LIMITS.fieldBytes) return fail(tooLarge());
      if (name === "policy" && Buffer.byteLength(value) > POST_FORM_LIMITS.policyBytes) return fail(s3Error("InvalidPolicyDocument", `Invalid Policy: the policy is larger than ${POST_FORM_LIMITS.policyBytes} bytes.`));
      const reason = unstorableTextReason(name) ?? unstorableTextReason(value);
      if (reason) return fail(s3Error("InvalidArgument", `The form field ${name.slice(0, 64)} ${reason}`));
      if (fields.has(name)) return fail(s3Error("InvalidArgument", `The form field ${name} appears more than once.`));
      fields.set(name, value);
    };
    parser.on("field", (name, value, info) => {
      if (file) return; // after the file: ignored
      if (info.nameTruncated || info.valueTruncated) return fail(tooLarge());
      addField(name, value);
    });
    parser.on("file", (name, stream, info) => {
      // A part cut short (the client leaving) errors its stream; that must never be an unhandled 'error'.
      stream.on("error", () => {});
      if (file || settled) return void stream.resume();
      if (name.toLowerCase() !== "file") {
        // A field sent as a file part: read whole, within the same bound as every field.
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > POST_FORM_LIMITS.fieldBytes) return fail(tooLarge());
          chunks.push(chunk);
        });
        pendingFields.push(new Promise((done) => stream.on("end", () => done(addField(name, Buffer.concat(chunks).toString("utf8"))))));
        return;
      }
      current = stream;
      file = { stream, filename: info.filename ?? "", contentType: info.mimeType };
      // Fields sent as file parts before the file may still be ending: the form is complete once they have.
      void Promise.all(pendingFields).then(() => {
        if (settled) return;
        settled = true;
        resolve({ fields, file: file! });
      });
    });
    parser.on("fieldsLimit", () => fail(tooLarge()));
    parser.on("partsLimit", () => fail(tooLarge()));
    parser.on("error", () => fail(s3Error("MalformedPOSTRequest")));
    parser.on("close", () => {
      if (!file) fail(s3Error("IncorrectNumberOfFilesInPostRequest", "POST requires exactly one file upload per request."));
    });
    // A client that leaves mid-form is an incomplete body, never a hang: the file stream errors too.
    incoming.on("close", () => {
      if (!incoming.complete) fail(s3Error("IncompleteBody", "The connection closed before the whole request body arrived."));
    });
    incoming.pipe(parser);
  });
}
