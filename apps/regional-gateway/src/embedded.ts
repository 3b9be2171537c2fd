import pino, { type DestinationStream } from "pino";
import { loadConfig } from "./config.ts";
import { type RunningGateway, startRegionalGateway } from "./start.ts";

/**
 * One regional gateway inside `npm start`'s single process (scripts/start-stack.ts), next to
 * the other apps: configured only from `env` (never process.env), logging the same JSON lines
 * as server.ts's gateway to `destination`. The host owns the process: signals, exit.
 */
export function startEmbeddedRegionalGateway(env: Record<string, string | undefined>, destination: DestinationStream): Promise<RunningGateway> {
  const config = loadConfig(env);
  // The logger deps.ts builds by default, with another destination.
  const logger = pino(
    { level: config.logLevel, timestamp: pino.stdTimeFunctions.isoTime, base: { service: "regional-gateway", region: config.region.region_id } },
    destination,
  );
  return startRegionalGateway(config, { logger });
}
