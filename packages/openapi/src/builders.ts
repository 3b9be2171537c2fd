// What both layers' OpenAPI documents share: the JSON error shape, response and request
// builders, route registration. Each app names what its own 401/403/503 mean.
import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";

/** Every JSON error of the APIs: `{ "error": { "code", "message", "requestId" } }`. */
export const errorSchema = z
  .strictObject({
    error: z.strictObject({ code: z.string().min(1), message: z.string(), requestId: z.string().min(1) }),
  })
  .meta({ id: "Error" });

const json = (schema: z.ZodType) => ({ "application/json": { schema } });

/** A JSON body of a request. */
export const jsonRequestBody = (schema: z.ZodType, required = true) => ({ body: { required, content: json(schema) } });

/** A success response with a JSON body. */
export const ok = (schema: z.ZodType, description = "success") => ({ description, content: json(schema) });

/** An empty success response. */
export const noContent = { description: "done, no body" };

export type ErrorResponses = Record<number, { description: string; content: ReturnType<typeof json> }>;

/**
 * The error responses builder of one app: `always` are the statuses every authenticated route
 * may give, `texts` what each status means there; `errors(...extra)` adds a route's own.
 */
export function errorResponses(always: number[], texts: Record<number, string>): (...extra: number[]) => ErrorResponses {
  return (...extra) => {
    const codes = new Set([...always, ...extra]);
    return Object.fromEntries([...codes].sort().map((c) => [c, { description: texts[c] ?? "error", content: json(errorSchema) }]));
  };
}

/** A path parameter object (OpenAPI needs one schema per parameter). */
export const pathParams = <T extends Record<string, z.ZodType>>(shape: T) => z.object(shape);

/**
 * Registers a route with bearer auth unless `open`; `tag` groups it in the docs page. A route
 * that takes a body may answer 413 (both layers cap management bodies), so that is described
 * for every one of them.
 */
export function registerRoute(registry: OpenAPIRegistry, tag: string, route: Omit<RouteConfig, "tags" | "security"> & { open?: boolean }): void {
  const { open, ...rest } = route;
  const responses = rest.request?.body && !rest.responses[413] ? { ...rest.responses, 413: { description: "body too large", content: json(errorSchema) } } : rest.responses;
  registry.registerPath({ ...rest, responses, tags: [tag], ...(open ? { security: [] } : {}) });
}
