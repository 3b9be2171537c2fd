import { createHmac, timingSafeEqual } from "node:crypto";
import { renderEventMessage, type OutboxEvent } from "@s3gw/core";

/** One delivery as it goes out: the same body and headers whatever the transport. */
export interface OutgoingMessage {
  eventId: string;
  eventName: string;
  body: string;
  /** Unix seconds, signed with the body so a captured request cannot be replayed later under a new timestamp. */
  timestamp: number;
}

/** What a transport does with one message: resolves once the target accepted it, throws DeliveryError otherwise. */
export interface EventSender {
  send(message: OutgoingMessage): Promise<void>;
  close(): Promise<void>;
}

/** A send that failed: `message` is safe to store and show (no secret, no URL, no response body). */
export class DeliveryError extends Error {}

export function outgoingMessage(event: OutboxEvent, ctx: { region: string; targetId: string }, now: Date): OutgoingMessage {
  return {
    eventId: event.eventId,
    eventName: event.eventName,
    body: JSON.stringify(renderEventMessage(event, ctx)),
    timestamp: Math.floor(now.getTime() / 1000),
  };
}

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, the x-s3gw-signature header. */
export function signEventMessage(secret: string, timestamp: number | string, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * What a receiver runs: the signature matches (compared in constant time) and the timestamp is
 * within `toleranceSeconds` of `now`. Receivers dedupe by x-s3gw-event-id on top of this.
 */
export function verifyEventSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  opts: { now: Date; toleranceSeconds: number },
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts) || Math.abs(opts.now.getTime() / 1000 - ts) > opts.toleranceSeconds) return false;
  const expected = Buffer.from(signEventMessage(secret, ts, body));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The headers both transports carry; the signature only where the target has a signing secret. */
export function messageHeaders(m: OutgoingMessage, signingSecret?: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-s3gw-event-id": m.eventId,
    "x-s3gw-event-name": m.eventName,
    "x-s3gw-timestamp": String(m.timestamp),
    ...(signingSecret !== undefined ? { "x-s3gw-signature": signEventMessage(signingSecret, m.timestamp, m.body) } : {}),
  };
}
