import type { DestinationStream } from "pino";
import { loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { type RunningGlobalRouter, startGlobalRouter } from "./start.ts";

/**
 * The global router inside `npm start`'s single process (scripts/start-stack.ts), next to the
 * regional gateways: configured only from `env` (never process.env), logging the same JSON
 * lines as server.ts's router to `destination`. The host owns the process: signals, exit.
 */
export function startEmbeddedGlobalRouter(env: Record<string, string | undefined>, destination: DestinationStream): Promise<RunningGlobalRouter> {
  const config = loadConfig(env);
  return startGlobalRouter(config, { logger: createLogger(config.logLevel, destination) });
}
