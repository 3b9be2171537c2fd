import type { IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { Dispatcher } from "undici";
import type { UpstreamClient } from "./client.ts";
import { mayRetryElsewhere, upstreamFailure } from "./errors.ts";
import type { CircuitTicket, RegionCircuits } from "./region-circuits.ts";
import type { SourceCountryConfig } from "../config.ts";
import { forwardRequestHeaders, responseHeaderList, type ForwardingContext } from "./headers.ts";
import type { GatewaySecret } from "@s3gw/core";

export { drainUnread, upstreamBody, type ClientBody } from "./client-body.ts";

export type RelayOutcome = "ok" | "client_aborted" | "upstream_unavailable" | "upstream_broken";

export interface RelayContext {
  upstream: Pick<UpstreamClient, "request" | "dispatch">;
  circuits: Pick<RegionCircuits, "begin">;
  regionId: string;
  requestId: string;
  /** The customer the request was routed for, vouched for to the region with the shared secret. */
  routedCustomerId: string;
  sharedSecret: GatewaySecret | undefined;
  sourceCountry: SourceCountryConfig;
  nowSeconds: () => number;
  /** Called once with the region's response headers, before any of its body is relayed. */
  answered?(headers: IncomingHttpHeaders): void;
  /** Called when the exchange is over (or failed before a response); only the first call counts. */
  done(statusCode: number, outcome: RelayOutcome, err?: unknown): void;
  /** Body bytes the router already read (a browser form's fields, to find its credential): relayed first, unchanged. */
  bodyPrefix?: Buffer | undefined;
}

// nginx's convention for "client closed the connection before the response was complete".
export const CLIENT_CLOSED_STATUS = 499;

export const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * Asks the region, through its circuit: an open circuit answers 503 at once, and a circuit
 * that opens while this request waits (or streams) aborts it through `abort`, the request's
 * own controller, which the caller also aborts when the client goes away. One controller and
 * one listener, not AbortSignal.any: composite signals cost more than the rest of the relay.
 * The returned `detach` stops listening to the circuit once the exchange is over.
 */
async function requestUpstream(
  ctx: RelayContext,
  req: Omit<Parameters<UpstreamClient["request"]>[1], "signal">,
  abort: AbortController,
): Promise<{ res: Dispatcher.ResponseData; detach: () => void } | undefined> {
  let ticket;
  try {
    ticket = ctx.circuits.begin(ctx.regionId);
  } catch (err) {
    ctx.done((err as { status?: number }).status ?? 503, "upstream_unavailable", err);
    throw err;
  }
  for (let attempt = 0; ; attempt++) {
    const circuit = ticket.signal;
    let circuitOpened = false;
    const onCircuitOpen = () => {
      circuitOpened = true;
      abort.abort(circuit.reason);
    };
    const detach = () => circuit.removeEventListener("abort", onCircuitOpen);
    if (circuit.aborted) onCircuitOpen();
    else circuit.addEventListener("abort", onCircuitOpen, { once: true });
    try {
      const res = await ctx.upstream.request(ctx.regionId, { ...req, signal: abort.signal }, ticket.endpoint ?? 0);
      ticket.answered();
      return { res, detach };
    } catch (err) {
      detach();
      if (abort.signal.aborted && !circuitOpened) {
        ticket.release();
        ctx.done(CLIENT_CLOSED_STATUS, "client_aborted", err);
        return undefined;
      }
      const failure = upstreamFailure(err, ctx.regionId);
      // A client's short body is not the region's failure.
      if (failure.status >= 500) ticket.failed();
      else ticket.release();
      // Never reached that gateway and nothing of a body was sent: once more, on another one.
      const next: CircuitTicket | undefined = attempt === 0 && !circuitOpened && req.body === null && mayRetryElsewhere(err, req.method, false) ? retryTicket(ctx, ticket) : undefined;
      if (next) {
        ticket = next;
        continue;
      }
      ctx.done(failure.status, "upstream_unavailable", err);
      throw failure;
    }
  }
}

/** A ticket for another gateway of the region than `failed`'s, or undefined when there is none to try. */
export function retryTicket(ctx: RelayContext, failed: CircuitTicket): CircuitTicket | undefined {
  try {
    return ctx.circuits.begin(ctx.regionId, { exclude: failed.endpoint ?? 0 });
  } catch {
    return undefined;
  }
}

export function forwardingOf(ctx: RelayContext, method: string, pathAndQuery: string): ForwardingContext {
  return { method, pathAndQuery, routedCustomerId: ctx.routedCustomerId, sharedSecret: ctx.sharedSecret, nowSeconds: ctx.nowSeconds() };
}

export function toHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  const list = responseHeaderList(headers);
  for (let i = 0; i < list.length; i += 2) out.append(list[i]!, list[i + 1]!);
  return out;
}

/**
 * The same exchange for a fetch-style Request (e.g. `app.request()` in tests, or a
 * non-Node runtime), still streaming through web streams.
 */
export async function relayWeb(ctx: RelayContext, req: Request): Promise<Response | undefined> {
  const url = new URL(req.url);
  const raw: string[] = [];
  req.headers.forEach((value, name) => raw.push(name, value));
  const pathAndQuery = url.pathname + url.search;
  const abort = new AbortController();
  const onClientAbort = () => abort.abort(req.signal.reason);
  if (req.signal.aborted) onClientAbort();
  else req.signal.addEventListener("abort", onClientAbort, { once: true });
  const answered = await requestUpstream(
    ctx,
    {
      method: req.method,
      pathAndQuery,
      headers: forwardRequestHeaders(raw, {
        clientAddress: undefined,
        proto: url.protocol === "https:" ? "https" : "http",
        requestId: ctx.requestId,
        forwarding: forwardingOf(ctx, req.method, pathAndQuery),
        // No socket here, so no trusted peer: the client's country is only ever dropped.
        sourceCountry: { header: ctx.sourceCountry.header, value: undefined },
      }),
      body: req.body ? Readable.fromWeb(req.body as NodeReadableStream<Uint8Array>) : null,
    },
    abort,
  );
  const over = () => {
    answered?.detach();
    req.signal.removeEventListener("abort", onClientAbort);
  };
  if (!answered) {
    over();
    return undefined;
  }
  const { res } = answered;
  ctx.answered?.(res.headers);
  const headers = toHeaders(res.headers);
  if (req.method === "HEAD" || NULL_BODY_STATUSES.has(res.statusCode)) {
    await res.body.dump();
    over();
    ctx.done(res.statusCode, "ok");
    return new Response(null, { status: res.statusCode, headers });
  }
  res.body.once("end", () => ctx.done(res.statusCode, "ok"));
  res.body.once("error", (err) => ctx.done(res.statusCode, "upstream_broken", err));
  // Fires after "end" too; `done` keeps only the first call, so this counts only real aborts.
  res.body.once("close", () => {
    over();
    ctx.done(CLIENT_CLOSED_STATUS, "client_aborted");
  });
  return new Response(Readable.toWeb(res.body) as ReadableStream<Uint8Array>, { status: res.statusCode, headers });
}
