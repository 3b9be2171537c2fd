import type { SourceCountryConfig } from "../config.ts";

export const DEFAULT_SOURCE_COUNTRY: SourceCountryConfig = { header: "x-source-country", trustedProxies: [] };

/** `::ffff:127.0.0.1` is how a dual-stack socket reports an IPv4 peer. */
const plainAddress = (address: string): string => (address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address);

/**
 * The client's country as the deployment's proxy reported it, or undefined. The header is
 * believed only when the socket peer is one of the configured proxies, never from a client
 * directly, and only as one ISO alpha-2 code; anything else is dropped, not guessed.
 */
export function trustedSourceCountry(config: SourceCountryConfig, peer: string | undefined, value: string | string[] | undefined): string | undefined {
  if (peer === undefined || typeof value !== "string") return undefined;
  const from = plainAddress(peer);
  if (!config.trustedProxies.some((p) => plainAddress(p) === from)) return undefined;
  const code = value.trim();
  return /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : undefined;
}
