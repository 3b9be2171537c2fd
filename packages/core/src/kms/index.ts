export * from "./key-provider.ts";
export * from "./kms-errors.ts";
