import type { RegionalConfig } from "../../config.ts";

export const SESSION_COOKIE = "s3gw_console";
/** The sign-in form's CSRF cookie (there is no session yet to key a token on). */
export const SIGNIN_COOKIE = "s3gw_console_signin";
export const DEFAULT_IDLE_SECONDS = 30 * 60;
export const DEFAULT_MAX_SECONDS = 12 * 60 * 60;

/** Read per request: a running gateway's expiry can be changed (tests shorten it). */
export function sessionLifetimes(config: RegionalConfig): { idleSeconds: number; maxSeconds: number } {
  return {
    idleSeconds: config.console?.idleSeconds ?? DEFAULT_IDLE_SECONDS,
    maxSeconds: config.console?.maxSeconds ?? DEFAULT_MAX_SECONDS,
  };
}
