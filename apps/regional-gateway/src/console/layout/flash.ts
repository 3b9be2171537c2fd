import type { Context } from "hono";
import type { ConsoleFlash } from "@s3gw/schema-regional";
import type { ConsoleEnv } from "../session/env.ts";
import { writeFlash } from "../session/store.ts";

/**
 * Post/Redirect/Get: leaves `text` for the next page (kept in the session row, shown once) and
 * redirects there with 303. Never put a secret in a flash: a page that creates one renders it
 * in the POST's own answer instead.
 */
export async function redirectWithFlash(c: Context<ConsoleEnv>, location: string, text: string, kind: ConsoleFlash["kind"] = "ok"): Promise<Response> {
  await writeFlash(c.var.deps, c.var.session.hash, { kind, text });
  return c.redirect(location, 303);
}
