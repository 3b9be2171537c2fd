import type { IncomingHttpHeaders } from "node:http";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { AppError, CUSTOMER_ID_RE, s3Error, sigv4AccessKeyId, virtualHostBucket } from "@s3gw/core";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { AppDeps } from "../app.ts";
import { isManagementPath, nodeBindings, rawPathOf, type AppEnv } from "../env.ts";
import { errorSummary } from "../errors.ts";
import { declaredLength, observeRouted } from "../ops/observe.ts";
import { UNROUTED } from "../ops/traffic.ts";
import { ACCESS_KEY_ID_RE } from "../routing/access-keys.ts";
import { CLIENT_CLOSED_STATUS, relayWeb, type RelayOutcome } from "../upstream/relay.ts";
import { relayNode } from "../upstream/relay-node.ts";
import { DEFAULT_SOURCE_COUNTRY } from "../upstream/source-country.ts";
import { isFormUpload, readFormPrefix, type FormPrefix } from "./form-credential.ts";
import { publicReadOwner } from "./public-read.ts";

/**
 * Home region of the caller. Unknown and malformed customer ids get the same answer, so
 * the router does not reveal which ids exist.
 */
async function resolveHomeRegion(deps: AppDeps, c: Context<AppEnv>, formKeyId?: string): Promise<{ customerId: string; regionId: string }> {
  const customerId = await resolveCustomer(deps, c, formKeyId);
  if (!customerId || !CUSTOMER_ID_RE.test(customerId)) throw s3Error("AccessDenied", "Access Denied: unknown or missing X-Customer-ID");
  let regionId: string | undefined;
  try {
    regionId = await deps.routing.resolve(customerId);
  } catch (err) {
    throw s3Error("ServiceUnavailable", "Customer routing is temporarily unavailable", { cause: err });
  }
  if (!regionId) throw s3Error("AccessDenied", "Access Denied: unknown or missing X-Customer-ID");
  if (!deps.regions.get(regionId)) throw s3Error("ServiceUnavailable", `Region ${regionId} is not served by this router`);
  return { customerId, regionId };
}

/**
 * The request's headers by lower-case name. From a socket, Node's own parse (what the region
 * will see too, and no Headers object to build from the raw list); without one, Hono's.
 */
function requestHeaders(c: Context<AppEnv>): Record<string, string> {
  const incoming = nodeBindings(c.env)?.incoming;
  return incoming ? (incoming.headers as Record<string, string>) : c.req.header();
}

/** The query as the client sent it, for the SigV4 parser (the URL Hono builds may re-encode it). */
function rawQueryOf(c: Context<AppEnv>): string {
  const raw = nodeBindings(c.env)?.incoming.url ?? c.req.url;
  const q = raw.indexOf("?");
  return q < 0 ? "" : raw.slice(q + 1);
}

/**
 * Who the request is for: the owner of its SigV4 access key when it carries one (the region
 * checks the signature, where the secret is), else X-Customer-ID. A request naming both
 * must name one customer. Malformed SigV4 is refused here with the code the region would use.
 */
async function resolveCustomer(deps: AppDeps, c: Context<AppEnv>, formKeyId: string | undefined): Promise<string | undefined> {
  const headers = requestHeaders(c);
  const headerCustomer = headers["x-customer-id"];
  const accessKeyId = sigv4AccessKeyId({ headers, rawQuery: rawQueryOf(c) })?.accessKeyId ?? formKeyId;
  if (accessKeyId === undefined) {
    // A preflight carries no credentials, and bucket names are per customer: without a presigned
    // URL's key id (or X-Customer-ID in trusted-header mode) no region can be chosen.
    if (c.req.method === "OPTIONS" && !(deps.config.trustedCustomerHeader && headerCustomer !== undefined)) throw preflightRefused();
    // Without credentials X-Customer-ID is only a claim: believed in trusted-header mode alone.
    if (deps.config.trustedCustomerHeader && headerCustomer !== undefined) return headerCustomer;
    // An anonymous read of a public bucket goes to its owner's region (which checks its own rule).
    const publicOwner = await publicReadOwner(deps, c, headers);
    if (publicOwner !== undefined) return publicOwner;
    if (!deps.config.trustedCustomerHeader) throw s3Error("AccessDenied", "Signed requests (AWS Signature Version 4) are required");
    return undefined;
  }
  let owner: string | undefined;
  if (ACCESS_KEY_ID_RE.test(accessKeyId)) {
    try {
      owner = await deps.accessKeys.resolve(accessKeyId);
    } catch (err) {
      throw s3Error("ServiceUnavailable", "Customer routing is temporarily unavailable", { cause: err });
    }
  }
  if (!owner) throw s3Error("InvalidAccessKeyId");
  if (headerCustomer !== undefined && headerCustomer !== owner) {
    c.get("logger").warn("X-Customer-ID disagrees with the access key's customer");
    throw s3Error("AccessDenied", "Access Denied: X-Customer-ID does not match the credentials");
  }
  return owner;
}

/** The router's answer to a preflight it cannot route: a CORS refusal, as the region's for an unknown bucket. */
const preflightRefused = () =>
  s3Error("AccessForbidden", "CORSResponse: This CORS request is not allowed: the global endpoint routes a preflight only for a presigned URL (X-Amz-Credential in the query).");

/**
 * A browser form upload names its credential inside the body: its fields (they precede the
 * file) are read here to route it, and relayed first (see form-credential.ts). Only with a
 * socket; anything else is routed, or refused, like any other request.
 */
async function formPrefixOf(c: Context<AppEnv>): Promise<FormPrefix | undefined> {
  const node = nodeBindings(c.env);
  const headers = requestHeaders(c);
  const signed = headers["authorization"] !== undefined || /(?:^|&)X-Amz-(?:Credential|Signature|Algorithm)=/i.test(rawQueryOf(c));
  if (!node || !isFormUpload(c.req.method, headers, signed)) return undefined;
  return readFormPrefix(node.incoming, node.outgoing);
}

/** A `.` or `..` segment, literal or percent-encoded. */
const DOT_SEGMENT_RE = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/**
 * The adapter honours RESPONSE_ALREADY_SENT only if it is a native Response. It is one if
 * its module was loaded before any serve() swapped in the adapter's lightweight Response
 * class (which carries a symbol-keyed cache); fail at start-up rather than answer every
 * streamed request with a second set of headers.
 */
function assertNativeAlreadySent(): void {
  if (Object.getOwnPropertySymbols(RESPONSE_ALREADY_SENT).length > 0) {
    throw new Error("@hono/node-server/utils/response was first imported after serve(); import the router before starting any server");
  }
}

/**
 * The S3 pass-through: find the customer's home region in memory and stream the request
 * there unchanged. Path, query and headers are forwarded as received; the router never
 * reads object bytes.
 */
export function s3ProxyRoutes(deps: AppDeps): { routes: Hono<AppEnv>; rawTarget: MiddlewareHandler<AppEnv> } {
  assertNativeAlreadySent();
  const app = new Hono<AppEnv>();

  const handler = async (c: Context<AppEnv>): Promise<Response> => {
    const started = deps.clock.now();
    const logger = c.get("logger");
    const method = c.req.method;
    let form: FormPrefix | undefined;
    const { customerId, regionId } = await (async () => {
      form = await formPrefixOf(c);
      return resolveHomeRegion(deps, c, form?.accessKeyId);
    })().catch((err: unknown) => {
      // A preflight is told only that CORS does not allow it, whatever kept it from a region.
      if (method === "OPTIONS" && (err as { status?: number }).status === 403) err = preflightRefused();
      const status = (err as { status?: number }).status ?? 500;
      observeRouted(deps, { at: deps.clock.now(), regionId: UNROUTED, status, durationMs: deps.clock.now() - started, bytesIn: 0, bytesOut: 0 });
      throw err;
    });
    // Bytes are counted from the declared lengths: the relay streams and never holds a body to measure.
    let responseLength = 0;
    let finished = false;
    const done = (statusCode: number, outcome: RelayOutcome, err?: unknown) => {
      if (finished) return;
      finished = true;
      const durationMs = Math.max(0, Math.round(deps.clock.now() - started));
      deps.routingLog.record({ customerId, regionId, method, statusCode, durationMs, createdAt: new Date(started) });
      const relayed = outcome === "ok" && statusCode < 400;
      observeRouted(deps, {
        at: deps.clock.now(),
        regionId,
        status: statusCode,
        durationMs,
        bytesIn: relayed ? declaredLength(requestHeaders(c)["content-length"]) : 0,
        bytesOut: relayed && method !== "HEAD" ? responseLength : 0,
      });
      // A routed request is a debug line: pino writes each line to stdout synchronously, and one
      // write per request cost the router about a third of its CPU at info. Each one is already
      // a routing_log row and counted in /metrics; failures stay warnings.
      const level = outcome === "ok" ? "debug" : "warn";
      if (!logger.isLevelEnabled(level)) return;
      const fields = { customerId, regionId, method, status: statusCode, durationMs, outcome, ...(err ? { error: errorSummary(err) } : {}) };
      if (outcome === "ok") logger.debug(fields, "request routed");
      else logger.warn(fields, "request routing failed");
    };
    const ctx = {
      upstream: deps.upstream,
      circuits: deps.circuits,
      sourceCountry: deps.config.sourceCountry ?? DEFAULT_SOURCE_COUNTRY,
      regionId,
      requestId: c.get("requestId"),
      routedCustomerId: customerId,
      sharedSecret: deps.config.gatewaySharedKey ?? deps.config.gatewaySharedSecret,
      nowSeconds: () => deps.clock.now() / 1000,
      answered: (headers: IncomingHttpHeaders) => {
        responseLength = declaredLength(headers["content-length"]);
      },
      done,
      bodyPrefix: form?.prefix,
    };

    const node = nodeBindings(c.env);
    if (node) return (await relayNode(ctx, node.incoming, node.outgoing)) ?? RESPONSE_ALREADY_SENT;
    const res = await relayWeb(ctx, c.req.raw);
    return res ?? new Response(null, { status: CLIENT_CLOSED_STATUS });
  };

  app.all("/s3", handler);
  app.all("/s3/*", handler);
  // Path-style S3 at the root, path unchanged. Mounted last, so it sees only what no
  // management route answered; a management prefix here is an unknown management path.
  app.all("*", (c) => {
    if (isManagementPath(c.req.path)) throw new AppError("NOT_FOUND", 404, `no route for ${c.req.method} ${c.req.path}`);
    return handler(c);
  });

  /**
   * Hono routes on a URL that has had its dot segments resolved (`/b/../health` becomes
   * `/health`). S3 paths are literal, so the decision "management route or S3" is made on
   * the raw target as received: anything that is not plainly a management path goes to S3
   * whatever it would normalise to, and a management path that only normalises to one is
   * not answered as one.
   */
  const rawTarget: MiddlewareHandler<AppEnv> = async (c, next) => {
    const raw = rawPathOf(c);
    // Absolute-form or `*` targets have no S3 meaning here, and must not reach a region as a "path".
    if (!raw.startsWith("/")) throw s3Error("InvalidURI");
    // A virtual-hosted request (`<bucket>.<domain>`) is S3 whatever its path: `/health` there is a key.
    if (virtualHostBucket(c.req.header("host"), deps.config.virtualHostDomain) !== undefined) return handler(c);
    if (!isManagementPath(raw)) return handler(c);
    if (DOT_SEGMENT_RE.test(raw)) throw new AppError("NOT_FOUND", 404, "no route for a management path with dot segments");
    await next();
  };
  return { routes: app, rawTarget };
}
