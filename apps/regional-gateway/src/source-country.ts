import type { Context } from "hono";
import type { AppEnv } from "./env.ts";

/** The client's country as the deployment's edge reported it (ISO alpha-2), or null. */
export function sourceCountryOf(c: Context<AppEnv>): string | null {
  const v = c.req.header(c.var.deps.config.sourceCountryHeader);
  return v && /^[A-Za-z]{2}$/.test(v) ? v.toUpperCase() : null;
}
