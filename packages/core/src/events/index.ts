export * from "./names.ts";
export * from "./bucket-notifications.ts";
export * from "./target-residency.ts";
export * from "./messages.ts";
