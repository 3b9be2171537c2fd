import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { registerAccessPaths } from "./paths-access.ts";
import { registerCompliancePaths } from "./paths-compliance.ts";
import { registerCustomerPaths } from "./paths-customers.ts";
import { registerOpsPaths } from "./paths-ops.ts";

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31["generateDocument"]>;

/**
 * The OpenAPI 3.1 document of the regional gateway's JSON API, generated from the zod schemas
 * the routes validate their input with (and the response schemas in ./responses.ts). The S3
 * API, the console and /metrics are not part of it.
 */
export function buildRegionalOpenApi(region: { region_id: string; name: string }): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A management token: the region's admin token or one minted with POST /api/tokens (roles admin, compliance_officer, auditor; optionally scoped to one customer)",
  });
  registerCustomerPaths(registry);
  registerAccessPaths(registry);
  registerCompliancePaths(registry);
  registerOpsPaths(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: `S3 residency gateway: regional gateway ${region.region_id}`,
      version: "1",
      description: `The management and compliance API of region ${region.region_id} (${region.name}). Errors are { "error": { "code", "message", "requestId" } }.`,
    },
    security: [{ bearer: [] }],
  });
}
