import { apiError, READ_ROLES } from "@s3gw/core";
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole, scopeCustomer } from "../../middleware/auth.ts";
import { parseInput } from "../../services/paging.ts";
import { migrationView, startMigrationSchema, type MigrationRow } from "../../services/storage/storage-migration.ts";
import { jsonBody } from "./json-body.ts";

const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The run named in the path, if this principal may see it (a customer-scoped token: its own customer's runs only). */
async function visibleRun(c: Context<AppEnv>): Promise<MigrationRow> {
  const id = c.req.param("id") ?? "";
  if (!ID_RE.test(id)) throw apiError.badRequest("migration id must be a UUID");
  const run = await c.var.deps.migrations.get(c.var.deps, id);
  const scoped = c.var.principal.customerId;
  if (scoped && run.customerId !== scoped) throw apiError.notFound(`no storage migration ${id}`);
  c.var.op.info = { migration_id: id };
  if (run.customerId) c.var.op.customerId = run.customerId;
  return run;
}

/**
 * Storage migrations, executed by this gateway's own worker: start (admin), watch progress,
 * cancel (the run finishes the object it is moving, then stops). `s3gw migrate-storage` is a
 * client of these routes.
 */
export function storageMigrationRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/", operation("StartStorageMigration"), requireRole("admin"), async (c) => {
    const input = parseInput(startMigrationSchema, await jsonBody(c), "body");
    const customerId = scopeCustomer(c, input.customer_id);
    const run = await c.var.deps.migrations.start(c.var.deps, { ...input, ...(customerId ? { customer_id: customerId } : {}) }, c.var.principal);
    c.var.op.info = {
      migration_id: run.migrationId,
      from_target: run.fromTarget,
      to_target: run.toTarget,
      dry_run: run.dryRun,
      ...(run.protectionOverrideReason ? { protection_override: { reason: run.protectionOverrideReason } } : {}),
    };
    if (run.customerId) c.var.op.customerId = run.customerId;
    return c.json(migrationView(run), 202);
  });

  r.get("/", operation("ListStorageMigrations"), requireRole(...READ_ROLES), async (c) => {
    const scoped = c.var.principal.customerId;
    const runs = await c.var.deps.migrations.list(c.var.deps);
    return c.json({ migrations: runs.filter((m) => !scoped || m.customerId === scoped).map(migrationView) });
  });

  r.get("/:id", operation("GetStorageMigration"), requireRole(...READ_ROLES), async (c) => c.json(migrationView(await visibleRun(c))));

  r.post("/:id/cancel", operation("CancelStorageMigration"), requireRole("admin"), async (c) => {
    const run = await visibleRun(c);
    return c.json(migrationView(await c.var.deps.migrations.cancel(c.var.deps, run.migrationId, c.var.principal)), 202);
  });

  return r;
}
