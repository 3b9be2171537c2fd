export * from "./actions.ts";
export * from "./acl.ts";
export * from "./conditions.ts";
export * from "./document.ts";
export * from "./evaluate.ts";
