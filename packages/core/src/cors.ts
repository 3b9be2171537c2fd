import { s3Error } from "./errors.ts";

/** The methods a CORS rule may allow: S3's list, nothing else. */
export const CORS_METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"] as const;
export type CorsMethod = (typeof CORS_METHODS)[number];

/** One CORSRule, validated: what the gateway stores (bucket_settings kind "cors") and matches on. */
export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: CorsMethod[];
  /** As configured (matched case-insensitively); each may carry one `*`. */
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export const MAX_CORS_RULES = 100;
const MAX_ID_LENGTH = 255;
const MAX_VALUE_LENGTH = 1024;
/** RFC 9110 token characters: what a header name may be made of. */
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

type XmlNode = Record<string, unknown>;

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function texts(rule: XmlNode, name: string): string[] {
  return list(rule[name]).map((v) => {
    if (typeof v !== "string" || v.length > MAX_VALUE_LENGTH) throw s3Error("MalformedXML", `${name} must be text of at most ${MAX_VALUE_LENGTH} characters`);
    return v;
  });
}

const wildcards = (value: string) => value.split("*").length - 1;

function parseRule(rule: unknown): CorsRule {
  if (typeof rule !== "object" || rule === null || Array.isArray(rule)) throw s3Error("MalformedXML");
  const node = rule as XmlNode;
  const known = new Set(["ID", "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"]);
  if (Object.keys(node).some((k) => !known.has(k))) throw s3Error("MalformedXML");
  const origins = texts(node, "AllowedOrigin");
  const methods = texts(node, "AllowedMethod");
  if (origins.length === 0 || methods.length === 0) throw s3Error("MalformedXML", "A CORSRule needs at least one AllowedOrigin and one AllowedMethod");
  for (const m of methods) {
    if (!(CORS_METHODS as readonly string[]).includes(m)) throw s3Error("InvalidRequest", `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
  }
  for (const o of origins) {
    if (o === "" || wildcards(o) > 1) throw s3Error("InvalidRequest", `AllowedOrigin "${o}" can not have more than one wildcard.`);
  }
  const headers = texts(node, "AllowedHeader");
  for (const h of headers) {
    if (wildcards(h) > 1) throw s3Error("InvalidRequest", `AllowedHeader "${h}" can not have more than one wildcard.`);
    if (!HEADER_TOKEN.test(h)) throw s3Error("InvalidRequest", `AllowedHeader "${h}" is not a valid header name.`);
  }
  const expose = texts(node, "ExposeHeader");
  for (const h of expose) {
    if (!HEADER_TOKEN.test(h) || h.includes("*")) throw s3Error("InvalidRequest", `ExposeHeader "${h}" contains wildcard. We currently do not support wildcard for ExposeHeader.`);
  }
  const ids = texts(node, "ID");
  const maxAges = texts(node, "MaxAgeSeconds");
  if (ids.length > 1 || maxAges.length > 1) throw s3Error("MalformedXML");
  if (ids[0] !== undefined && ids[0].length > MAX_ID_LENGTH) throw s3Error("InvalidArgument", `The ID of a CORSRule is at most ${MAX_ID_LENGTH} characters`);
  const maxAge = maxAges[0];
  if (maxAge !== undefined && !/^\d{1,9}$/.test(maxAge)) throw s3Error("MalformedXML", "MaxAgeSeconds must be a non-negative integer");
  return {
    ...(ids[0] === undefined ? {} : { id: ids[0] }),
    allowedOrigins: origins,
    allowedMethods: [...new Set(methods)] as CorsMethod[],
    allowedHeaders: headers,
    exposeHeaders: expose,
    ...(maxAge === undefined ? {} : { maxAgeSeconds: Number(maxAge) }),
  };
}

/** A parsed `<CORSConfiguration>` document (fast-xml-parser output) as validated rules, or S3's error. */
export function parseCorsConfiguration(doc: Record<string, unknown>): CorsRule[] {
  const keys = Object.keys(doc).filter((k) => k !== "?xml");
  const root = doc["CORSConfiguration"];
  if (keys.length !== 1 || typeof root !== "object" || root === null || Array.isArray(root)) throw s3Error("MalformedXML");
  const rootNode = root as XmlNode;
  if (Object.keys(rootNode).some((k) => k !== "CORSRule")) throw s3Error("MalformedXML");
  const rules = list(rootNode["CORSRule"]);
  if (rules.length === 0) throw s3Error("MalformedXML", "A CORSConfiguration needs at least one CORSRule");
  if (rules.length > MAX_CORS_RULES) throw s3Error("InvalidRequest", `A CORS configuration can have at most ${MAX_CORS_RULES} rules`);
  return rules.map(parseRule);
}

/** `*` matches any run of characters (one wildcard at most, as validated). */
function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf("*");
  if (star < 0) return pattern === value;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return value.length >= prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix);
}

export interface CorsRequest {
  origin: string;
  /** The method of the actual request (for a preflight, Access-Control-Request-Method). */
  method: string;
  /** Lower-cased request header names a preflight asks for. */
  headers: readonly string[];
}

/** The first rule allowing this origin, method and every requested header (S3's order), if any. */
export function matchCorsRule(rules: readonly CorsRule[], req: CorsRequest): CorsRule | undefined {
  return rules.find(
    (r) =>
      r.allowedOrigins.some((o) => wildcardMatch(o, req.origin)) &&
      (r.allowedMethods as readonly string[]).includes(req.method) &&
      req.headers.every((h) => r.allowedHeaders.some((p) => wildcardMatch(p.toLowerCase(), h))),
  );
}

/** Access-Control-Request-Headers as lower-cased names (empty entries dropped). */
export function requestedCorsHeaders(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(",").map((h) => h.trim().toLowerCase()).filter((h) => h !== "");
}

/**
 * The headers S3 answers a matching request with. A rule allowing any origin answers `*`
 * (no credentials are implied); otherwise the request's own origin, which the caller pairs
 * with `Vary: Origin`. Preflights also name methods, requested headers and max age.
 */
export function corsResponseHeaders(rule: CorsRule, req: CorsRequest, preflight: boolean): Record<string, string> {
  const anyOrigin = rule.allowedOrigins.includes("*");
  const out: Record<string, string> = {
    "access-control-allow-origin": anyOrigin ? "*" : req.origin,
    "access-control-allow-methods": rule.allowedMethods.join(", "),
  };
  if (!anyOrigin) out["access-control-allow-credentials"] = "true";
  if (rule.exposeHeaders.length > 0) out["access-control-expose-headers"] = rule.exposeHeaders.join(", ");
  if (preflight) {
    if (req.headers.length > 0) out["access-control-allow-headers"] = req.headers.join(", ");
    if (rule.maxAgeSeconds !== undefined) out["access-control-max-age"] = String(rule.maxAgeSeconds);
  }
  return out;
}
