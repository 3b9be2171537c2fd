import { loadConfig } from "./config.ts";
import { startRegionalGateway } from "./start.ts";

const config = loadConfig(process.env);
const gateway = await startRegionalGateway(config);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  gateway.deps.logger.info({ signal }, "shutting down");
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  await gateway.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
