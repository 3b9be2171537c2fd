export * from "./builders.ts";
export { DOCS_CSP, openApiRoutes } from "./docs-page.ts";
export { openApiPath, routeCoverage } from "./coverage.ts";
export { windowSummarySchema } from "./schemas.ts";
