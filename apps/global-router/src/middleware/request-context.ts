import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Clock } from "../clock.ts";
import type { AppEnv } from "../env.ts";
import type { Logger } from "../logger.ts";

// Marker @hono/node-server puts on RESPONSE_ALREADY_SENT.
const ALREADY_SENT_HEADER = "x-hono-already-sent";

/**
 * The one place request-scoped state is created: a request id and a logger bound to it,
 * so every log line of the request carries the id. Logs the route pattern, never the
 * path (S3 paths contain bucket names and object keys).
 */
export function requestContext(baseLogger: Logger, clock: Clock): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = randomUUID();
    const logger = lazyChild(baseLogger, { requestId });
    c.set("requestId", requestId);
    c.set("logger", logger);
    c.header("x-request-id", requestId);
    const started = clock.now();
    await next();
    // Streamed responses log their own completion once the last byte is out.
    if (c.res.headers.has(ALREADY_SENT_HEADER)) return;
    logger.info(
      { method: c.req.method, route: routePath(c, -1), status: c.res.status, durationMs: clock.now() - started },
      "request completed",
    );
  };
}

/**
 * `base.child(bindings)`, made on first use. A pino child serialises and redacts its bindings
 * when it is made, a measurable share of a routed request's CPU, while most requests log
 * nothing (or only at a level that is off): a level check is answered by the parent, whose
 * level a child shares, without making the child.
 */
export function lazyChild(base: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  return new Proxy(base, {
    get(_target, prop) {
      if (prop === "isLevelEnabled" || prop === "level" || prop === "levelVal") {
        const value: unknown = Reflect.get(base, prop, base);
        return typeof value === "function" ? value.bind(base) : value;
      }
      child ??= base.child(bindings);
      const value: unknown = Reflect.get(child, prop, child);
      return typeof value === "function" ? value.bind(child) : value;
    },
  });
}
