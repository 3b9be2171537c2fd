import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { startGlobalRouter } from "./start.ts";

// The only entry point that reads the process environment and owns the process lifetime.
let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(1);
}
const logger = createLogger(config.logLevel);

try {
  const router = await startGlobalRouter(config, { logger });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal, exiting immediately");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    router.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (err) {
  logger.fatal({ err }, "global router failed to start");
  process.exit(1);
}
