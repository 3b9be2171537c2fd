import type { TLSSocket } from "node:tls";
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { ConsoleEnv } from "./env.ts";
import { SESSION_COOKIE } from "./settings.ts";

/** Came over TLS: our own socket, or a trusted edge proxy that says so. */
export function overTls(c: Context<ConsoleEnv>): boolean {
  const socket = c.env?.incoming?.socket as Partial<TLSSocket> | undefined;
  if (socket?.encrypted) return true;
  const peer = socket?.remoteAddress;
  return peer !== undefined && c.var.deps.config.trustedProxies.includes(peer) && c.req.header("x-forwarded-proto") === "https";
}

export function setConsoleCookie(c: Context<ConsoleEnv>, name: string, value: string, maxAgeSeconds?: number): void {
  setCookie(c, name, value, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/console",
    secure: overTls(c),
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  });
}

export function clearSessionCookie(c: Context<ConsoleEnv>, name: string = SESSION_COOKIE): void {
  deleteCookie(c, name, { path: "/console", secure: overTls(c), httpOnly: true, sameSite: "Strict" });
}
