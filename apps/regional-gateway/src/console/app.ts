import { Hono } from "hono";
import { trimTrailingSlash } from "hono/trailing-slash";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "@s3gw/core";
import { consoleAssets } from "./assets/routes.ts";
import { consoleOnError, notFoundPage } from "./layout/errors.ts";
import { overviewRoutes } from "./overview/routes.ts";
import { customerPages } from "./customers/routes.ts";
import { storagePages } from "./storage/routes.ts";
import { accessKeyPages } from "./access-keys/routes.ts";
import { complianceConsoleRoutes } from "./compliance/routes.ts";
import { gdprConsoleRoutes } from "./gdpr/routes.ts";
import { holdConsoleRoutes } from "./holds/routes.ts";
import { auditConsoleRoutes } from "./audit/routes.ts";
import { consoleHeaders, csrfGuard, requireSession } from "./session/middleware.ts";
import { sessionRoutes } from "./session/routes.ts";
import type { AppFetch, ConsoleEnv } from "./session/env.ts";

const MAX_CONSOLE_BODY_BYTES = 1024 * 1024;

/**
 * The region's web console (`/console`): server-rendered pages that are clients of this
 * region's own JSON API (consoleApi), so they honour exactly its roles, scope and audit.
 * Assets and sign-in are public; everything else needs a session and, to change anything,
 * the session's CSRF token. One line per domain below.
 */
export function consoleApp(opts: { fetch: AppFetch }): Hono<ConsoleEnv> {
  const assets = consoleAssets();
  const r = new Hono<ConsoleEnv>();
  r.use("*", consoleHeaders(opts.fetch, assets.version));
  // Console forms are small; a bigger body is refused before anything parses it (sign-in included).
  r.use("*", bodyLimit({ maxSize: MAX_CONSOLE_BODY_BYTES, onError: () => { throw new AppError("PAYLOAD_TOO_LARGE", 413, `console requests are at most ${MAX_CONSOLE_BODY_BYTES} bytes`); } }));
  // `/console/` and `/console/gdpr/` are where people type them: redirected, not a 404.
  r.use("*", trimTrailingSlash());
  r.route("/assets", assets.routes);
  r.route("/", sessionRoutes());
  r.use("*", requireSession, csrfGuard);
  r.route("/", overviewRoutes());
  r.route("/customers", customerPages());
  r.route("/customers", storagePages());
  r.route("/customers", accessKeyPages());
  r.route("/compliance", complianceConsoleRoutes());
  r.route("/gdpr", gdprConsoleRoutes());
  r.route("/holds", holdConsoleRoutes());
  r.route("/audit", auditConsoleRoutes());
  r.all("*", (c) => notFoundPage(c));
  r.onError(consoleOnError);
  return r;
}
