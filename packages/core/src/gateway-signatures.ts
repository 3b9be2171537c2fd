import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";

/**
 * HMACs between the two layers, keyed by the secret they share (GATEWAY_SHARED_SECRET):
 * regions sign their calls to the router's internal API, and the router proves to a region
 * that a forwarded S3 request came through it. Both live here so the signer and the
 * verifier cannot drift apart.
 */
export const INTERNAL_SIGNATURE_HEADER = "x-s3gw-internal-signature";
export const FORWARDED_PROOF_HEADER = "x-s3gw-forwarded-proof";
export const ROUTED_CUSTOMER_HEADER = "x-s3gw-routed-customer";
/** Headers in this namespace are set only by the gateway itself; a client's are stripped or ignored. */
export const GATEWAY_HEADER_PREFIX = "x-s3gw-";
export const GATEWAY_SIGNATURE_WINDOW_SECONDS = 300;
export const MIN_SHARED_SECRET_LENGTH = 32;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export interface InternalRequest {
  method: string;
  /** URL path as the receiver sees it, without the query. */
  path: string;
  body: string;
}

export interface ForwardedRequest {
  method: string;
  /** Path and query exactly as forwarded. */
  pathAndQuery: string;
  forwardedFor: string;
  forwardedHost: string;
  forwardedProto: string;
  routedCustomerId: string;
  /** The client's country as the router's trusted edge reported it, "" when unknown: signed, so a client cannot set it. */
  sourceCountry: string;
}

/**
 * The shared secret as given (text), or as a key object made once from it (gatewayKey): an HMAC
 * keyed with text pays node:crypto's key preparation on every call, on every forwarded request.
 */
export type GatewaySecret = string | KeyObject;

/** The key object of a shared secret, for the hot paths that sign or check every request. */
export function gatewayKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, "utf8"));
}

const hmacHex = (secret: GatewaySecret, text: string) => createHmac("sha256", secret).update(text, "utf8").digest("hex");

function internalText(req: InternalRequest, t: number): string {
  const bodyHash = createHash("sha256").update(req.body, "utf8").digest("hex");
  return `${req.method.toUpperCase()}\n${req.path}\n${t}\n${bodyHash}`;
}

function forwardedText(req: ForwardedRequest, t: number): string {
  return [t, req.method.toUpperCase(), req.pathAndQuery, req.forwardedFor, req.forwardedHost, req.forwardedProto, req.routedCustomerId, req.sourceCountry].join("\n");
}

/** `t=<unix seconds>,v1=<hex>` for the x-s3gw-internal-signature header. */
export function signInternalRequest(secret: string, req: InternalRequest, nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${hmacHex(secret, internalText(req, t))}`;
}

export function verifyInternalRequest(secret: string, header: string | undefined, req: InternalRequest, nowSeconds: number): SignatureCheck {
  return verify(header, nowSeconds, (t) => hmacHex(secret, internalText(req, t)));
}

/** `t=<unix seconds>,v1=<hex>` for the x-s3gw-forwarded-proof header. */
export function signForwardedRequest(secret: GatewaySecret, req: ForwardedRequest, nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${hmacHex(secret, forwardedText(req, t))}`;
}

export function verifyForwardedRequest(secret: GatewaySecret, header: string | undefined, req: ForwardedRequest, nowSeconds: number): SignatureCheck {
  return verify(header, nowSeconds, (t) => hmacHex(secret, forwardedText(req, t)));
}

function verify(header: string | undefined, nowSeconds: number, expected: (t: number) => string): SignatureCheck {
  if (!header) return { ok: false, reason: "missing signature" };
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!m) return { ok: false, reason: "malformed signature (expected t=<unix seconds>,v1=<hex>)" };
  const t = Number(m[1]);
  // Checked before the HMAC so a stale request costs no more than a malformed one.
  if (Math.abs(nowSeconds - t) > GATEWAY_SIGNATURE_WINDOW_SECONDS) {
    return { ok: false, reason: `timestamp outside the ${GATEWAY_SIGNATURE_WINDOW_SECONDS} s window` };
  }
  const given = Buffer.from(m[2]!, "hex");
  const want = Buffer.from(expected(t), "hex");
  return timingSafeEqual(given, want) ? { ok: true } : { ok: false, reason: "signature does not match" };
}
