import type { Context } from "hono";
import type { AppEnv } from "./env.ts";
import { socketAddress } from "./forwarding-proof.ts";

const COUNTRY = /^[A-Za-z]{2}$/;

/**
 * The client's country (ISO alpha-2) from a trusted edge, never from the client: the value the
 * global router signed into its forwarding proof, or on a direct request the header set by a
 * proxy whose address is configured (TRUSTED_PROXIES). Anything else is unknown (null).
 */
export function sourceCountryOf(c: Context<AppEnv>): string | null {
  let v: string | undefined;
  if (c.get("forwardedByRouter")) v = c.get("routedSourceCountry");
  else {
    const peer = socketAddress(c);
    if (peer !== undefined && c.get("deps").config.trustedProxies.includes(peer)) v = c.req.header(c.get("deps").config.sourceCountryHeader);
  }
  return v && COUNTRY.test(v) ? v.toUpperCase() : null;
}

/**
 * Whether an operation moves data across a border: from where the client is (when the edge
 * says) to where the bytes are, or else between the customer's country and the storage's.
 */
export function isCrossBorder(sourceCountry: string | null, storageCountry: string, customerCountry: string): boolean {
  return sourceCountry ? sourceCountry !== storageCountry : storageCountry !== customerCountry;
}
