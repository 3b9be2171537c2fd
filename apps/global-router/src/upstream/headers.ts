import type { IncomingHttpHeaders } from "node:http";
import { FORWARDED_PROOF_HEADER, GATEWAY_HEADER_PREFIX, ROUTED_CUSTOMER_HEADER, signForwardedRequest, type GatewaySecret } from "@s3gw/core";

/**
 * Headers that describe one connection rather than the message (RFC 9110 §7.6.1), plus
 * `expect`: the router answers 100-continue itself and undici refuses to forward it.
 */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  "http2-settings",
]);

// Set by the router itself; a client's own values would let it forge them.
const ROUTER_SET = new Set(["x-forwarded-host", "x-forwarded-proto", "x-request-id"]);

export interface ForwardContext {
  clientAddress: string | undefined;
  proto: "http" | "https";
  requestId: string;
  /** What the region needs to check the forwarding proof; absent, nothing is vouched for. */
  forwarding?: ForwardingContext | undefined;
  /** The source-country header: any client copy is dropped; `value` (from a trusted proxy) is set instead. */
  sourceCountry?: { header: string; value: string | undefined } | undefined;
}

export interface ForwardingContext {
  method: string;
  /** Path and query exactly as forwarded. */
  pathAndQuery: string;
  routedCustomerId: string;
  /** GATEWAY_SHARED_SECRET; without it the routed customer is passed on unproven. */
  sharedSecret: GatewaySecret | undefined;
  nowSeconds: number;
}

const NO_TOKENS: ReadonlySet<string> = new Set();

function connectionTokens(value: string | undefined): ReadonlySet<string> {
  // Almost every message has no Connection header, or only keep-alive: no set to build.
  if (value === undefined || value === "" || /^\s*keep-alive\s*$/i.test(value)) return NO_TOKENS;
  const tokens = new Set<string>();
  for (const t of value.split(",")) {
    const name = t.trim().toLowerCase();
    if (name) tokens.add(name);
  }
  return tokens;
}

/**
 * Request headers for the region: the client's, in order and with their original case,
 * minus hop-by-hop ones, plus the x-forwarded-* set and our request id. Host is kept so
 * signatures computed over it (SigV4) still verify at the region.
 */
export function forwardRequestHeaders(rawHeaders: readonly string[], ctx: ForwardContext): string[] {
  let connection: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === "connection") connection = [connection, rawHeaders[i + 1]].filter(Boolean).join(",");
  }
  const drop = connectionTokens(connection);
  const out: string[] = [];
  const forwardedFor: string[] = [];
  let host: string | undefined;
  let sawContentLength = false;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    const lower = name.toLowerCase();
    // x-s3gw-* is the router's word to the region; a client's copy would be a forgery.
    if (HOP_BY_HOP.has(lower) || drop.has(lower) || ROUTER_SET.has(lower) || lower.startsWith(GATEWAY_HEADER_PREFIX)) continue;
    // The country is the router's statement (from a trusted proxy), never the client's.
    if (lower === (ctx.sourceCountry?.header ?? "x-source-country")) continue;
    if (lower === "x-forwarded-for") {
      forwardedFor.push(value);
      continue;
    }
    // Node accepts repeated identical values for these; undici rejects duplicates.
    if (lower === "host") {
      if (host !== undefined) continue;
      host = value;
    }
    if (lower === "content-length") {
      if (sawContentLength) continue;
      sawContentLength = true;
    }
    out.push(name, value);
  }
  if (ctx.clientAddress) forwardedFor.push(ctx.clientAddress);
  const forwardedForValue = forwardedFor.join(", ");
  if (forwardedFor.length > 0) out.push("x-forwarded-for", forwardedForValue);
  if (host !== undefined) out.push("x-forwarded-host", host);
  out.push("x-forwarded-proto", ctx.proto, "x-request-id", ctx.requestId);
  if (ctx.sourceCountry?.value) out.push(ctx.sourceCountry.header, ctx.sourceCountry.value);
  const f = ctx.forwarding;
  if (f) {
    out.push(ROUTED_CUSTOMER_HEADER, f.routedCustomerId);
    if (f.sharedSecret) {
      const proof = signForwardedRequest(
        f.sharedSecret,
        {
          method: f.method,
          pathAndQuery: f.pathAndQuery,
          forwardedFor: forwardedForValue,
          forwardedHost: host ?? "",
          forwardedProto: ctx.proto,
          routedCustomerId: f.routedCustomerId,
          sourceCountry: ctx.sourceCountry?.value ?? "",
        },
        f.nowSeconds,
      );
      out.push(FORWARDED_PROOF_HEADER, proof);
    }
  }
  return out;
}

/**
 * Response headers to pass back to the client, everything but hop-by-hop headers, as the flat
 * [name, value, name, value, ...] list `writeHead` takes (a repeated header, set-cookie, once per value).
 */
export function responseHeaderList(headers: IncomingHttpHeaders): string[] {
  const connection = headers.connection;
  const drop = connectionTokens(Array.isArray(connection) ? connection.join(",") : connection);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || drop.has(lower)) continue;
    if (typeof value === "string") out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  return out;
}

/** Whether the client's request carries a body to stream (RFC 9112 §6.3). */
export function requestHasBody(headers: IncomingHttpHeaders): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = headers["content-length"];
  return length !== undefined && length !== "0";
}
