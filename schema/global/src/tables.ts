export * from "./regions.ts";
export * from "./providers.ts";
export * from "./customer-routing.ts";
export * from "./routing-log.ts";
export * from "./access-key-routing.ts";
export * from "./public-bucket-routing.ts";
