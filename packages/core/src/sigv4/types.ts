import type { SigningKeyMemo } from "./signature.ts";
export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** The secret's derived signing keys, kept by whoever holds the secret (see SigningKeyMemo). */
  signingKeys?: SigningKeyMemo | undefined;
}

export interface IncomingS3Request {
  method: string;
  /** The raw path exactly as received (still percent-encoded), e.g. "/s3/bucket/my%20key" or "/bucket/key". */
  rawPath: string;
  /** The raw query string without "?" (percent-encoded as received). */
  rawQuery: string;
  /** Lower-cased header names; multiple values joined with ",". Must include "host" (the host the client signed). */
  headers: Record<string, string>;
}

export type AuthKind = "header" | "presigned";

/** How the signed non-ASCII header values were meant: the wire bytes as latin1, or as UTF-8. */
export type HeaderText = "latin1" | "utf8";

export type PayloadMode = "plain" | "streaming-signed" | "streaming-signed-trailer" | "streaming-unsigned-trailer";

export interface VerifiedRequest {
  accessKeyId: string;
  kind: AuthKind;
  region: string;
  signingDate: Date;
  signature: string;
  /** From x-amz-content-sha256 (header auth) or "UNSIGNED-PAYLOAD" (presigned). */
  payloadHash: string;
  /** How the body must be read: "plain" (payloadHash is a hex digest the body must match, or UNSIGNED-PAYLOAD), or one of the aws-chunked streaming modes. */
  payloadMode: PayloadMode;
  /** The lower-cased header names the signature covers. */
  signedHeaders: readonly string[];
  /** The reading of non-ASCII header values under which the signature matched. */
  headerText: HeaderText;
  /** For presigned URLs: when it expires. */
  expiresAt?: Date;
  /** x-amz-decoded-content-length: the object's size when the body is aws-chunked. */
  decodedLength?: number;
}
