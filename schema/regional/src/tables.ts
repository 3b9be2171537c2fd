export * from "./customers.ts";
export * from "./buckets.ts";
export * from "./object-metadata.ts";
export * from "./operations-log.ts";
export * from "./compliance-events.ts";
export * from "./data-subject-requests.ts";
export * from "./compliance-rules.ts";
export * from "./api-tokens.ts";
