export * from "./provider.ts";
export * from "./tenant-storage.ts";
export * from "./fs-provider.ts";
export * from "./sweeper.ts";
