import { AppError, CUSTOMER_ID_RE, REGION_ID_RE } from "@s3gw/core";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { AppDeps } from "../app.ts";
import type { AppEnv } from "../env.ts";
import { databaseUnavailable } from "../errors.ts";
import { requireAdmin } from "../middleware/require-admin.ts";
import { describeCustomerRoute, registerCustomer, routingNotesProblem, type RoutingServiceDeps } from "../routing/service.ts";
import { parseInput } from "../validation.ts";

const MAX_BODY_BYTES = 4 * 1024;

export const paramsSchema = z.object({
  id: z.string().regex(CUSTOMER_ID_RE, "customer id must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit"),
});

export const registerQuerySchema = z.object({
  region_id: z.string({ error: "region_id is required" }).regex(REGION_ID_RE, "region_id must look like FI-HEL"),
});

export const registerBodySchema = z
  .object({
    routing_notes: z
      .string()
      .trim()
      .max(200, "routing_notes must be at most 200 characters")
      .superRefine((notes, ctx) => {
        const problem = routingNotesProblem(notes);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .nullish(),
  })
  .strict();

/** The optional JSON body; an absent or empty body means no notes. */
function readRegisterBody(text: string): string | null {
  if (text.trim() === "") return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError("BAD_REQUEST", 400, "request body must be JSON");
  }
  const body = parseInput(registerBodySchema, json, "body");
  return body.routing_notes ? body.routing_notes : null;
}

/** Customer → home-region assignments: the only customer data the global layer holds. */
export function routingRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const service: RoutingServiceDeps = { store: deps.routingStore, cache: deps.routing, regions: deps.regions };

  app.post(
    "/routing/customers/:id",
    requireAdmin(deps.config.adminToken),
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError("PAYLOAD_TOO_LARGE", 413, `request body must be at most ${MAX_BODY_BYTES} bytes`);
      },
    }),
    async (c) => {
      const { id } = parseInput(paramsSchema, c.req.param(), "customer id");
      const { region_id } = parseInput(registerQuerySchema, c.req.query(), "query");
      const routingNotes = readRegisterBody(await c.req.text());
      const created = await registerCustomer(service, { customerId: id, regionId: region_id, routingNotes }).catch((err: unknown) => {
        throw databaseUnavailable(err);
      });
      c.get("logger").info({ customerId: id, regionId: region_id }, "customer routing registered");
      return c.json(created, 201);
    },
  );

  // Admin only: an open lookup would tell anyone which customer ids exist.
  app.get("/routing/customers/:id", requireAdmin(deps.config.adminToken), async (c) => {
    const { id } = parseInput(paramsSchema, c.req.param(), "customer id");
    const view = await describeCustomerRoute(service, id).catch((err: unknown) => {
      throw databaseUnavailable(err);
    });
    return c.json(view);
  });

  return app;
}
