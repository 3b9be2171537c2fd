export * from "./provider.ts";
export * from "./tenant-storage.ts";
export * from "./fs-provider.ts";
export * from "./sweeper.ts";
export * from "./s3-provider.ts";
export * from "./backend-errors.ts";
export * from "./storage-errors.ts";
