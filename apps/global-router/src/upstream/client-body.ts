import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { requestHasBody } from "./headers.ts";

/** The client's body as relayed; `pulled` once any of it may have been read for the region. */
export type ClientBody = Readable & { pulled?: boolean };

/** Beyond this much unread body after an early answer, the connection is closed instead of drained. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

export function drainUnread(incoming: IncomingMessage): void {
  if (incoming.complete || incoming.destroyed) return;
  let drained = 0;
  incoming.unpipe();
  incoming.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_BYTES) incoming.socket.destroy();
  });
  incoming.resume();
}

/**
 * The client's body, framed as the client framed it: with its Content-Length, or chunked
 * (a signature may cover Transfer-Encoding, so undici must not replace it by a length it
 * found). With Expect: 100-continue, the client is told to go on only when the region
 * starts reading, never by the router up front (see the server's checkContinue handler).
 */
export function upstreamBody(incoming: IncomingMessage, outgoing: ServerResponse, prefix?: Buffer): ClientBody | null {
  if (!requestHasBody(incoming.headers)) return null;
  const expectsContinue = /^100-continue$/i.test(incoming.headers.expect ?? "");
  // With a prefix, the router already read (and so already let the client continue).
  let continued = prefix !== undefined;
  // A fresh stream not yet read has no length undici could discover, so it keeps the
  // client's framing: chunked stays chunked, a declared Content-Length is forwarded as is.
  // When the region answers early, undici destroys this stream; that must not destroy the
  // client's request (its socket), which is drained after the answer instead (drainUnread).
  const onData = (chunk: Buffer) => {
    if (!body.push(chunk)) incoming.pause();
  };
  const onEnd = () => body.push(null);
  const onError = (err: Error) => body.destroy(err);
  const body: ClientBody = new Readable({
    read() {
      // From here on bytes of the client's body may be on their way: it can never be replayed.
      body.pulled = true;
      if (expectsContinue && !continued && !outgoing.headersSent) {
        continued = true;
        outgoing.writeContinue();
      }
      incoming.resume();
    },
    destroy(err, callback) {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      callback(err);
    },
  });
  if (prefix !== undefined && prefix.length > 0) body.push(prefix);
  // The prefix may have been the whole body.
  if (incoming.readableEnded) {
    body.push(null);
    return body;
  }
  incoming.on("data", onData);
  incoming.on("end", onEnd);
  incoming.on("error", onError);
  incoming.pause();
  return body;
}
