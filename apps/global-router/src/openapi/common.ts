import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";

/** Every JSON error of the API: `{ "error": { "code", "message", "requestId" } }`. */
export const errorSchema = z
  .strictObject({
    error: z.strictObject({ code: z.string().min(1), message: z.string(), requestId: z.string().min(1) }),
  })
  .meta({ id: "Error" });

const ERROR_TEXT: Record<number, string> = {
  400: "bad input (zod validation, malformed id, unstorable text)",
  401: "no or wrong admin token",
  403: "refused",
  404: "not found",
  409: "conflict with the current state",
  413: "body too large",
  503: "the global database is unavailable",
};

const json = (schema: z.ZodType) => ({ "application/json": { schema } });

/** A JSON body of a request. */
export const jsonRequestBody = (schema: z.ZodType, required = true) => ({ body: { required, content: json(schema) } });

/** A success response with a JSON body. */
export const ok = (schema: z.ZodType, description = "success") => ({ description, content: json(schema) });

/** An empty success response. */
export const noContent = { description: "done, no body" };

/** The error responses every authenticated route may give, plus the route's own. */
export function errors(...extra: number[]): Record<number, { description: string; content: ReturnType<typeof json> }> {
  const codes = new Set([400, 401, 503, ...extra]);
  return Object.fromEntries([...codes].sort().map((c) => [c, { description: ERROR_TEXT[c] ?? "error", content: json(errorSchema) }]));
}

/** A path parameter object (OpenAPI needs one schema per parameter). */
export const pathParams = <T extends Record<string, z.ZodType>>(shape: T) => z.object(shape);



/** Registers a route with bearer auth unless `open`; `tag` groups it in /docs. */
export function registerRoute(registry: OpenAPIRegistry, tag: string, route: Omit<RouteConfig, "tags" | "security"> & { open?: boolean }): void {
  const { open, ...rest } = route;
  registry.registerPath({ ...rest, tags: [tag], ...(open ? { security: [] } : {}) });
}
