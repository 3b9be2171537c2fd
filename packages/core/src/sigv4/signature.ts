// The SigV4 signature of a request as received, computed directly with node:crypto: the
// canonical request, the string to sign, the derived signing key. Verifying through smithy's
// SignatureV4 (a signer built per request, a cloned HttpRequest, promise-wrapped hashes) cost
// ~9% of a small GET's CPU (issue 9's profiles). smithy stays the signer of what the gateway
// signs itself (presigned URLs) and the oracle of the tests: test/sigv4-signature.test.ts
// checks this against it for header-signed and presigned requests alike.
import { createHash, createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { ALGORITHM, escapeUri } from "./parse.ts";

export interface SignatureInput {
  method: string;
  /** The canonical (once-encoded) path. */
  path: string;
  /** Query parameters as received and decoded, X-Amz-Signature removed. */
  query: Record<string, string | string[]>;
  /** Exactly the signed headers (lower-case names) with their values as read. */
  headers: Record<string, string>;
  payloadHash: string;
  amzDate: string;
  scopeDate: string;
  region: string;
  secretAccessKey: string;
  /** Where this secret's derived keys are kept between requests, when the caller keeps them. */
  signingKeys?: SigningKeyMemo | undefined;
}

/** S3's canonical query: names and values escaped, sorted by name, a repeated name's values sorted. */
export function canonicalQuery(query: Record<string, string | string[]>): string {
  const byName: [string, string][] = [];
  for (const name of Object.keys(query)) {
    if (name.toLowerCase() === "x-amz-signature") continue;
    const encoded = escapeUri(name);
    const value = query[name]!;
    byName.push([encoded, typeof value === "string" ? `${encoded}=${escapeUri(value)}` : value.map((v) => `${encoded}=${escapeUri(v)}`).sort().join("&")]);
  }
  byName.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return byName.map(([, pairs]) => pairs).filter((p) => p !== "").join("&");
}

export function canonicalRequest(input: Pick<SignatureInput, "method" | "path" | "query" | "headers" | "payloadHash">): string {
  const names = Object.keys(input.headers).sort();
  // Header values trimmed, inner runs of whitespace collapsed to one space.
  const lines = names.map((name) => `${name}:${input.headers[name]!.trim().replace(/\s+/g, " ")}`);
  return `${input.method}\n${input.path}\n${canonicalQuery(input.query)}\n${lines.join("\n")}\n\n${names.join(";")}\n${input.payloadHash}`;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();

/** The derived key of one secret, day, region and S3. */
export function signingKey(secretAccessKey: string, scopeDate: string, region: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, scopeDate), region), "s3"), "aws4_request");
}

/**
 * The derived keys of one secret, by day and region, so a day's requests derive theirs once
 * (four HMACs were ~3% of a small PUT's CPU). Held with the secret — the access-key cache keeps
 * one per cached key and drops it with the key — never shared between secrets.
 */
export class SigningKeyMemo {
  // Private fields: an inspected or logged access-key record shows neither the secret nor its keys.
  readonly #secret: string;
  // As KeyObjects: an HMAC keyed with a Buffer pays node:crypto's key preparation on every call
  // (the largest part of a signature check's cost in the profiles), one keyed with a KeyObject does not.
  readonly #keys = new Map<string, KeyObject>();

  constructor(secretAccessKey: string) {
    this.#secret = secretAccessKey;
  }

  derive(secretAccessKey: string, scopeDate: string, region: string): KeyObject {
    if (secretAccessKey !== this.#secret) return createSecretKey(signingKey(secretAccessKey, scopeDate, region));
    const id = `${scopeDate}/${region}`;
    let key = this.#keys.get(id);
    if (!key) {
      // A handful of days and regions at most (clients sign with the day's date); never unbounded.
      if (this.#keys.size >= 8) this.#keys.clear();
      key = createSecretKey(signingKey(secretAccessKey, scopeDate, region));
      this.#keys.set(id, key);
    }
    return key;
  }
}

/** The hex signature the request should carry. */
export function requestSignature(input: SignatureInput): string {
  const scope = `${input.scopeDate}/${input.region}/s3/aws4_request`;
  const hashed = createHash("sha256").update(canonicalRequest(input), "utf8").digest("hex");
  const stringToSign = `${ALGORITHM}\n${input.amzDate}\n${scope}\n${hashed}`;
  const key = input.signingKeys ? input.signingKeys.derive(input.secretAccessKey, input.scopeDate, input.region) : signingKey(input.secretAccessKey, input.scopeDate, input.region);
  return createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
}
