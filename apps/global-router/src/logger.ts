import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

/**
 * JSON lines to stdout. Redaction is a safety net only: call sites must not pass headers,
 * keys or bodies in the first place.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "global-router" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ["headers", "*.headers", "authorization", "*.authorization", "body", "*.body"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
