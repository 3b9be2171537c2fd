import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { Dispatcher } from "undici";
import { mayRetryElsewhere, upstreamFailure } from "./errors.ts";
import { forwardRequestHeaders, responseHeaderList } from "./headers.ts";
import type { CircuitTicket } from "./region-circuits.ts";
import { drainUnread, upstreamBody, type ClientBody } from "./client-body.ts";
import { CLIENT_CLOSED_STATUS, forwardingOf, NULL_BODY_STATUSES, retryTicket, toHeaders, type RelayContext } from "./relay.ts";
import { trustedSourceCountry } from "./source-country.ts";

/**
 * Streams one exchange between the Node request/response and the region, with backpressure
 * both ways: the client's body is read only as fast as the region accepts it, and the
 * region's body is written to the client as it arrives, undici pausing its socket while the
 * client's is full. Nothing is buffered beyond socket and stream high-water marks.
 *
 * Through undici's handler API rather than `request()`: no response stream, promise and async
 * resource per request, the largest share of the relay's own CPU. Before the region answers,
 * failures reject with an S3 error for the caller to send; afterwards the only honest signal
 * left is to cut the connection. The circuit: an open one answers 503 at once, and one that
 * opens during the exchange aborts it as the region's failure.
 *
 * Resolves once the exchange is over: undefined when the response was written to `outgoing`,
 * or, for HEAD, a bodyless Response for the caller to return (Hono answers HEAD by re-wrapping
 * the GET route's Response, which would lose the adapter's "already sent" marker).
 */
export function relayNode(ctx: RelayContext, incoming: IncomingMessage, outgoing: ServerResponse): Promise<Response | undefined> {
  let ticket: CircuitTicket;
  try {
    ticket = ctx.circuits.begin(ctx.regionId);
  } catch (err) {
    ctx.done((err as { status?: number }).status ?? 503, "upstream_unavailable", err);
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => new NodeExchange(ctx, ticket, incoming, outgoing, resolve, reject).start());
}

class NodeExchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  /** Why the exchange was aborted before undici handed over its controller. */
  #pendingAbort: Error | undefined;
  #clientClosed = false;
  #circuitOpened = false;
  /** The region's status, once it answered (1xx aside). */
  #status: number | undefined;
  #head: Response | undefined;
  #ended = false;
  #settled = false;
  #paused = false;
  #body: ClientBody | null = null;
  #headers: string[] = [];
  #retried = false;

  readonly ctx: RelayContext;
  ticket: CircuitTicket;
  readonly incoming: IncomingMessage;
  readonly outgoing: ServerResponse;
  readonly resolve: (res: Response | undefined) => void;
  readonly reject: (err: unknown) => void;

  constructor(
    ctx: RelayContext,
    ticket: CircuitTicket,
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    resolve: (res: Response | undefined) => void,
    reject: (err: unknown) => void,
  ) {
    this.ctx = ctx;
    this.ticket = ticket;
    this.incoming = incoming;
    this.outgoing = outgoing;
    this.resolve = resolve;
    this.reject = reject;
  }

  start(): void {
    const { ctx, incoming, outgoing } = this;
    outgoing.once("close", this.#onClientClose);
    const method = incoming.method ?? "GET";
    const pathAndQuery = incoming.url ?? "/";
    try {
      this.#headers = forwardRequestHeaders(incoming.rawHeaders, {
        clientAddress: incoming.socket.remoteAddress,
        proto: (incoming.socket as Partial<TLSSocket>).encrypted ? "https" : "http",
        requestId: ctx.requestId,
        forwarding: forwardingOf(ctx, method, pathAndQuery),
        sourceCountry: {
          header: ctx.sourceCountry.header,
          value: trustedSourceCountry(ctx.sourceCountry, incoming.socket.remoteAddress, incoming.headers[ctx.sourceCountry.header]),
        },
      });
    } catch (err) {
      this.onResponseError(undefined, err as Error);
      return;
    }
    this.#send();
  }

  /** One attempt on the ticket's gateway; a second one only through `#retryElsewhere`. */
  #send(): void {
    const { ctx, incoming, outgoing } = this;
    if (this.ticket.signal.aborted) this.#onCircuitOpen();
    else this.ticket.signal.addEventListener("abort", this.#onCircuitOpen, { once: true });
    try {
      this.#body = upstreamBody(incoming, outgoing, ctx.bodyPrefix);
      const req = { method: incoming.method ?? "GET", pathAndQuery: incoming.url ?? "/", headers: this.#headers, body: this.#body };
      ctx.upstream.dispatch(ctx.regionId, req, this, this.ticket.endpoint ?? 0);
    } catch (err) {
      this.onResponseError(undefined, err as Error);
    }
  }

  /**
   * A connection to one gateway failed before the region saw anything it could act on (see
   * mayRetryElsewhere): the request goes once more, to another gateway with a closed circuit.
   */
  #retryElsewhere(err: Error): boolean {
    if (this.#retried || this.#clientClosed || this.#circuitOpened || this.#settled) return false;
    if (!mayRetryElsewhere(err, this.incoming.method ?? "GET", this.#body?.pulled === true)) return false;
    const next = retryTicket(this.ctx, this.ticket);
    if (!next) return false;
    this.ticket.signal.removeEventListener("abort", this.#onCircuitOpen);
    this.ticket.failed();
    this.ticket = next;
    this.#retried = true;
    this.#controller = undefined;
    this.#pendingAbort = undefined;
    this.#body?.destroy();
    this.#send();
    return true;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort) controller.abort(this.#pendingAbort);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // Informational answers are the hop's business (undici's), not the client's.
    if (statusCode < 200) return;
    this.#status = statusCode;
    this.ticket.answered();
    this.ctx.answered?.(headers);
    if (this.incoming.method === "HEAD") {
      this.#head = new Response(null, { status: statusCode, headers: toHeaders(headers) });
      return;
    }
    // An answer before the whole body arrived (an early refusal): once it is sent, the rest
    // of the client's body is read and dropped (bounded), so the client sees the answer, not a reset.
    this.outgoing.once("finish", () => drainUnread(this.incoming));
    // One flat list to writeHead: no per-header setHeader bookkeeping in the response.
    this.outgoing.writeHead(statusCode, responseHeaderList(headers));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#head || NULL_BODY_STATUSES.has(this.#status ?? 0)) return;
    if (!this.outgoing.write(chunk) && !this.#paused) {
      this.#paused = true;
      controller.pause();
      this.outgoing.once("drain", this.#onDrain);
    }
  }

  onResponseEnd(): void {
    this.#ended = true;
    const status = this.#status ?? 502;
    if (this.#head) return this.#settle(() => (this.ctx.done(status, "ok"), this.resolve(this.#head)));
    this.outgoing.end(() => this.#settle(() => (this.ctx.done(status, "ok"), this.resolve(undefined))));
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#status === undefined && this.#retryElsewhere(err)) return;
    this.#body?.destroy();
    if (this.#status === undefined) {
      this.#settle(() => {
        if (this.#clientClosed && !this.#circuitOpened) {
          this.ticket.release();
          this.ctx.done(CLIENT_CLOSED_STATUS, "client_aborted", err);
          return this.resolve(undefined);
        }
        const failure = upstreamFailure(err, this.ctx.regionId);
        // A client's short body is not the region's failure.
        if (failure.status >= 500) this.ticket.failed();
        else this.ticket.release();
        this.ctx.done(failure.status, "upstream_unavailable", err);
        this.reject(failure);
      });
      return;
    }
    // The circuit also aborts mid-body: that is the region's failure, not the client's.
    const clientGone = this.#clientClosed;
    this.#settle(() => {
      this.ctx.done(clientGone ? CLIENT_CLOSED_STATUS : this.#status!, clientGone ? "client_aborted" : "upstream_broken", err);
      this.outgoing.destroy();
      this.resolve(undefined);
    });
  }

  #abort(reason: Error): void {
    if (this.#controller) this.#controller.abort(reason);
    else this.#pendingAbort ??= reason;
  }

  readonly #onDrain = (): void => {
    this.#paused = false;
    this.#controller?.resume();
  };

  readonly #onCircuitOpen = (): void => {
    this.#circuitOpened = true;
    this.#abort(this.ticket.signal.reason as Error);
  };

  readonly #onClientClose = (): void => {
    if (this.outgoing.writableFinished) return;
    this.#clientClosed = true;
    // The region's answer was complete, the client left before the last bytes went out.
    if (this.#ended) return this.#settle(() => (this.ctx.done(CLIENT_CLOSED_STATUS, "client_aborted"), this.resolve(undefined)));
    this.#abort(new Error("client closed the connection"));
  };

  /** Exactly once: detach from the client and the circuit, then report. */
  #settle(report: () => void): void {
    if (this.#settled) return;
    this.#settled = true;
    this.outgoing.off("close", this.#onClientClose).off("drain", this.#onDrain);
    this.ticket.signal.removeEventListener("abort", this.#onCircuitOpen);
    report();
  }
}
