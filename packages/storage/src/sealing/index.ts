export * from "./segments.ts";
export * from "./seal-stream.ts";
export * from "./open-stream.ts";
