export { createApp, type AppDeps } from "./app.ts";
export { loadConfig, ConfigError, type GlobalRouterConfig, type UpstreamTimeouts, type LogLevel } from "./config.ts";
export { startGlobalRouter, type RunningGlobalRouter, type StartOptions } from "./start.ts";
