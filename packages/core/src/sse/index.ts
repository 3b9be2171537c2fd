export * from "./sse-errors.ts";
export * from "./sse-customer-key.ts";
export * from "./sse-request.ts";
export * from "./sse-response.ts";
export * from "./sse-customer-match.ts";
