import { AppError, errorXml, s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { isS3Path, rawPathOf, type AppEnv } from "./env.ts";
import type { Logger } from "./logger.ts";

export function errorSummary(err: unknown): { name: string; message: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === "string" ? { code } : {}) };
  }
  return { name: "Error", message: String(err) };
}

function toAppError(err: unknown, s3: boolean): AppError {
  if (err instanceof AppError) return err;
  // Hono raises these for malformed input it parses itself (e.g. a bad JSON body).
  if (err instanceof HTTPException && err.status < 500) {
    return s3 ? s3Error("InvalidRequest", err.message) : new AppError("BAD_REQUEST", err.status, err.message || "Bad request");
  }
  return s3 ? s3Error("InternalError") : new AppError("INTERNAL_ERROR", 500, "Internal server error");
}

/**
 * The single error handler: S3 paths answer S3 XML errors, everything else the JSON
 * envelope. Unexpected errors are logged in full here and answered without internals.
 */
export function createErrorHandler(fallbackLogger: Logger) {
  return (err: Error, c: Context<AppEnv>): Response => {
    // Decided on the raw target, as the dispatch is (an S3 path may normalise to a management one).
    const s3 = isS3Path(rawPathOf(c));
    const appErr = toAppError(err, s3);
    const requestId = c.get("requestId") ?? "unknown";
    const logger = c.get("logger") ?? fallbackLogger;
    if (!(err instanceof AppError) && appErr.status >= 500) {
      // Unexpected: keep the stack (pino's err serializer).
      logger.error({ err }, "request failed unexpectedly");
    } else if (appErr.status >= 500) {
      logger.warn({ code: appErr.code, status: appErr.status, cause: err.cause === undefined ? undefined : errorSummary(err.cause) }, "request failed");
    } else {
      logger.debug({ code: appErr.code, status: appErr.status }, "request rejected");
    }
    if (s3) {
      return new Response(errorXml(appErr, requestId), {
        status: appErr.status,
        headers: { ...appErr.headers, "content-type": "application/xml", "x-amz-request-id": requestId, "x-request-id": requestId },
      });
    }
    return c.json(
      { error: { code: appErr.code, message: appErr.message, requestId } },
      appErr.status as 400,
      appErr.headers,
    );
  };
}

/** A failing global database is an outage of the management API, not a bug: 503, cause logged. */
export function databaseUnavailable(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError("SERVICE_UNAVAILABLE", 503, "The global database is unavailable", { cause: err });
}
