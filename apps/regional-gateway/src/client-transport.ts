import type { TLSSocket } from "node:tls";
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";
import { socketAddress } from "./forwarding-proof.ts";

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** The scheme the client used: as the router signed it (x-forwarded-proto is in its proof), else our own socket's. */
export function clientScheme(c: Context<AppEnv>): "https" | "http" {
  if (c.var.forwardedByRouter) return c.req.header("x-forwarded-proto") === "https" ? "https" : "http";
  return (c.env.incoming.socket as Partial<TLSSocket>).encrypted ? "https" : "http";
}

/** The client's address: the last hop the router appended to x-forwarded-for (signed in its proof), else our own peer. */
export function clientAddress(c: Context<AppEnv>): string | undefined {
  if (c.var.forwardedByRouter) return (c.req.header("x-forwarded-for") ?? "").split(",").at(-1)?.trim() || undefined;
  return socketAddress(c);
}

/**
 * Whether secrets may travel on this request's connection (SSE-C keys): over TLS, or from a
 * client on this machine's loopback (the embedded stack), where nothing crosses a network.
 */
export function privateTransport(c: Context<AppEnv>): boolean {
  if (clientScheme(c) === "https") return true;
  const address = clientAddress(c);
  return address !== undefined && LOOPBACK.test(address);
}
