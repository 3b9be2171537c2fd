import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { querySchema as dashboardQuery } from "../routes/ops-dashboard.ts";
import { paramsSchema, registerBodySchema, registerQuerySchema } from "../routes/routing.ts";
import { listQuerySchema } from "../routes/routing-admin.ts";
import { errors, jsonRequestBody, ok, openErrors, registerRoute } from "./common.ts";
import * as r from "./responses.ts";

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31["generateDocument"]>;

/**
 * The OpenAPI 3.1 document of the global router's JSON API, generated from the zod schemas its
 * routes validate input with. Not described: the S3 proxy (/s3/..., path-style at the root), the
 * console picker, /metrics and the HMAC-signed /internal/* calls between regions and the router.
 */
export function buildRouterOpenApi(): OpenApiDocument {
  const reg = new OpenAPIRegistry();
  reg.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "The router's admin token (ADMIN_TOKEN)" });
  registerRoute(reg, "health", { method: "get", path: "/health", open: true, summary: "Database, each region's gateways and circuits, routing cache", responses: { 200: ok(r.healthSchema, "database up"), 503: ok(r.healthSchema, "database down") } });
  registerRoute(reg, "registry", { method: "get", path: "/regions", open: true, summary: "The regions, each with every gateway's probe and circuit", responses: { 200: ok(r.regionsSchema), ...openErrors(503) } });
  registerRoute(reg, "registry", { method: "get", path: "/providers", open: true, summary: "The storage providers", responses: { 200: ok(r.providersSchema), ...openErrors(503) } });
  const routing = "routing";
  registerRoute(reg, routing, {
    method: "post", path: "/routing/customers/{id}", summary: "Assign a customer to its home region",
    request: { params: paramsSchema, query: registerQuerySchema, ...jsonRequestBody(registerBodySchema, false) },
    responses: { 201: ok(r.routedSchema, "routed"), ...errors(409, 413) },
  });
  registerRoute(reg, routing, { method: "get", path: "/routing/customers/{id}", summary: "A customer's home region", request: { params: paramsSchema }, responses: { 200: ok(r.routeViewSchema), ...errors(404) } });
  registerRoute(reg, routing, { method: "get", path: "/routing/customers", summary: "The routing map, keyset-paged by customer id", request: { query: listQuerySchema }, responses: { 200: ok(r.routeListSchema), ...errors() } });
  registerRoute(reg, routing, { method: "delete", path: "/routing/customers/{id}", summary: "Unroute a customer", request: { params: paramsSchema }, responses: { 200: ok(r.unroutedSchema), ...errors(404) } });
  registerRoute(reg, "ops", {
    method: "get", path: "/ops/dashboard", summary: "Traffic per region, region health, routing cache (text, or JSON with Accept: application/json or format=json)",
    request: { query: dashboardQuery },
    responses: { 200: { description: "the dashboard", content: { "application/json": { schema: r.dashboardSchema }, "text/plain": { schema: z.string() } } }, ...errors() },
  });
  return new OpenApiGeneratorV31(reg.definitions).generateDocument({
    openapi: "3.1.0",
    info: { title: "S3 residency gateway: global router", version: "1", description: 'The global router\'s management API. Errors are { "error": { "code", "message", "requestId" } }.' },
    security: [{ bearer: [] }],
  });
}
