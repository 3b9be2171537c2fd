export { createApp } from "./app.ts";
export { loadConfig, type RegionalConfig } from "./config.ts";
export { startRegionalGateway, type RunningGateway } from "./start.ts";
