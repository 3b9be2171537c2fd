import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { listQuery as checkpointsQuery } from "../routes/api/audit-checkpoints.ts";
import { exportQuery } from "../routes/api/audit-export.ts";
import { jurisdictionQuery, operationsQuery } from "../routes/api/audit-queries.ts";
import { querySchema as dashboardQuery } from "../routes/ops-dashboard.ts";
import { listDeliveriesQuery, replaySchema } from "../services/events/deliveries.ts";
import { createTargetSchema, deleteTargetQuery, listTargetsQuery } from "../services/events/target-input.ts";
import { startMigrationSchema } from "../services/storage/storage-migration.ts";
import { errors, jsonRequestBody, ok, openErrors, page, pathParams, registerRoute, uuidParam } from "./common.ts";
import * as r from "./responses.ts";

const uuidPath = pathParams({ id: uuidParam });
const text = (type: string, description: string) => ({ description, content: { [type]: { schema: z.string() } } });

/** Health, the ops dashboard, the audit log, storage migrations, notification targets and deliveries. */
export function registerOpsPaths(reg: OpenAPIRegistry): void {
  registerRoute(reg, "health", { method: "get", path: "/health", open: true, summary: "Database and storage status", responses: { 200: ok(r.healthSchema, "healthy"), 503: ok(r.healthSchema, "unhealthy") } });
  registerRoute(reg, "health", {
    method: "get", path: "/ops/dashboard", summary: "The region at a glance (text for a terminal, JSON with Accept: application/json or format=json)",
    request: { query: dashboardQuery },
    responses: { 200: { description: "the dashboard", content: { "application/json": { schema: r.dashboardSchema }, "text/plain": { schema: z.string() } } }, ...errors() },
  });

  const audit = "audit";
  registerRoute(reg, audit, { method: "get", path: "/api/audit/verify", summary: "Walk the tamper-evident operations log and its checkpoints", responses: { 200: ok(r.auditVerifySchema), ...errors() } });
  registerRoute(reg, audit, { method: "get", path: "/api/audit/public-key", open: true, summary: "The checkpoint signing key (PEM)", responses: { 200: text("application/x-pem-file", "the public key"), ...openErrors(404) } });
  registerRoute(reg, audit, { method: "get", path: "/api/audit/operations", summary: "Query the operations log", request: { query: operationsQuery }, responses: { 200: ok(page(r.operationSchema)), ...errors() } });
  registerRoute(reg, audit, { method: "get", path: "/api/audit/jurisdiction-compliance", summary: "Where each customer's data lives over a window", request: { query: jurisdictionQuery }, responses: { 200: ok(r.jurisdictionReportSchema), ...errors() } });
  registerRoute(reg, audit, { method: "get", path: "/api/audit/checkpoints", summary: "Signed checkpoints", request: { query: checkpointsQuery }, responses: { 200: ok(page(r.checkpointSchema)), ...errors() } });
  registerRoute(reg, audit, { method: "post", path: "/api/audit/checkpoints", summary: "Sign a checkpoint now (admin)", responses: { 201: ok(r.checkpointSchema, "signed"), ...errors() } });
  registerRoute(reg, audit, { method: "get", path: "/api/audit/export", summary: "The operations log as JSON Lines", request: { query: exportQuery }, responses: { 200: text("application/x-ndjson", "one JSON object a line"), ...errors() } });

  const mig = "storage migrations";
  registerRoute(reg, mig, { method: "post", path: "/api/storage-migrations", summary: "Start a storage migration (admin)", request: jsonRequestBody(startMigrationSchema), responses: { 202: ok(r.migrationSchema, "started"), ...errors(404, 409) } });
  registerRoute(reg, mig, { method: "get", path: "/api/storage-migrations", summary: "List storage migrations", responses: { 200: ok(z.strictObject({ migrations: z.array(r.migrationSchema) })), ...errors() } });
  registerRoute(reg, mig, { method: "get", path: "/api/storage-migrations/{id}", summary: "A storage migration's progress", request: { params: uuidPath }, responses: { 200: ok(r.migrationSchema), ...errors(404) } });
  registerRoute(reg, mig, { method: "post", path: "/api/storage-migrations/{id}/cancel", summary: "Cancel a storage migration", request: { params: uuidPath }, responses: { 202: ok(r.migrationSchema, "cancelling"), ...errors(404, 409) } });

  const ev = "notifications";
  registerRoute(reg, ev, { method: "post", path: "/api/notification-targets", summary: "Register an event target (admin)", request: jsonRequestBody(createTargetSchema), responses: { 201: ok(r.targetCreatedSchema, "created"), ...errors(409) } });
  registerRoute(reg, ev, { method: "get", path: "/api/notification-targets", summary: "List event targets", request: { query: listTargetsQuery }, responses: { 200: ok(page(r.targetSchema)), ...errors() } });
  registerRoute(reg, ev, { method: "get", path: "/api/notification-targets/{id}", summary: "An event target", request: { params: pathParams({ id: z.string() }) }, responses: { 200: ok(r.targetSchema), ...errors(404) } });
  registerRoute(reg, ev, { method: "delete", path: "/api/notification-targets/{id}", summary: "Delete an event target", request: { params: pathParams({ id: z.string() }), query: deleteTargetQuery }, responses: { 200: ok(r.targetDeletedSchema), ...errors(404, 409) } });
  registerRoute(reg, ev, { method: "get", path: "/api/notification-deliveries", summary: "List event deliveries", request: { query: listDeliveriesQuery }, responses: { 200: ok(page(r.deliverySchema)), ...errors() } });
  registerRoute(reg, ev, { method: "post", path: "/api/notification-deliveries/replay", summary: "Replay dead deliveries (admin)", request: jsonRequestBody(replaySchema, false), responses: { 200: ok(r.replayedSchema), ...errors() } });
}
