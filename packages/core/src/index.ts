export * from "./errors.ts";
export * from "./xml.ts";
export * from "./residency.ts";
export * from "./naming.ts";
export * from "./range.ts";
export * from "./listing.ts";
export * from "./topology.ts";
