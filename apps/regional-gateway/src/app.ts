import { apiError } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv, Deps } from "./env.ts";
import { onError } from "./errors.ts";
import { audit } from "./middleware/audit.ts";
import { init } from "./middleware/init.ts";
import { refuseUnstorableInput } from "./middleware/storable-input.ts";
import { auditQueryRoutes } from "./routes/api/audit-queries.ts";
import { auditVerifyRoutes } from "./routes/api/audit-verify.ts";
import { auditCheckpointRoutes } from "./routes/api/audit-checkpoints.ts";
import { auditExportRoutes } from "./routes/api/audit-export.ts";
import { complianceAlertRoutes } from "./routes/api/compliance-alerts.ts";
import { complianceRoutes } from "./routes/api/compliance-summary.ts";
import { complianceValidateRoutes } from "./routes/api/compliance-validate.ts";
import { complianceSubscriptionRoutes } from "./routes/api/compliance-subscriptions.ts";
import { rulesRoutes } from "./routes/api/rules.ts";
import { tokenRoutes } from "./routes/api/tokens.ts";
import { customerRoutes } from "./routes/api/customers.ts";
import { customerProfileRoutes } from "./routes/api/customer-profile.ts";
import { customerSuspensionRoutes } from "./routes/api/customer-suspension.ts";
import { customerOffboardRoutes } from "./routes/api/customer-offboard.ts";
import { customerMoveRoutes } from "./routes/api/customer-move.ts";
import { moveInRoutes } from "./routes/internal/move-in.ts";
import { moveInObjectRoutes } from "./routes/internal/move-in-object.ts";
import { customerStorageRoutes } from "./routes/api/customer-storage.ts";
import { bucketPolicyAdminRoutes } from "./routes/api/bucket-policy.ts";
import { storageMigrationRoutes } from "./routes/api/storage-migrations.ts";
import { gdprRoutes } from "./routes/api/gdpr.ts";
import { holdRoutes } from "./routes/api/holds.ts";
import { objectVerifyRoutes } from "./routes/api/objects-verify.ts";
import { healthHandler } from "./routes/health.ts";
import { metricsHandler } from "./routes/metrics.ts";
import { opsDashboardRoutes } from "./routes/ops-dashboard.ts";
import { accessKeyRoutes } from "./routes/api/access-keys.ts";
import { presignRoutes } from "./routes/api/presign.ts";
import { customerKeyRoutes } from "./routes/api/customer-keys.ts";
import { customerKeyStateRoutes } from "./routes/api/customer-keys-state.ts";
import { cryptoShredRoutes } from "./routes/api/crypto-shred.ts";
import { notificationTargetRoutes } from "./routes/api/notification-targets.ts";
import { notificationDeliveryRoutes } from "./routes/api/notification-deliveries.ts";
import { s3Edge } from "./routes/s3/edge.ts";
import { consoleApp } from "./console/app.ts";
import { buildRegionalOpenApi } from "./openapi/document.ts";
import { openApiRoutes } from "@s3gw/openapi";

/** Builds the regional gateway from its dependencies; binding a port is server.ts's job. */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", init(deps));
  // S3 is told apart by the raw path before any route matches (see s3Edge).
  app.use("*", s3Edge);
  app.get("/health", healthHandler);
  app.get("/metrics", metricsHandler);
  // The API's description (under /ops: /docs at the root is a path-style bucket); open, not audited.
  app.route("/", openApiRoutes<AppEnv>({ document: () => buildRegionalOpenApi(deps.config.region), title: `Regional gateway ${deps.config.region.region_id} API`, specPath: "/ops/openapi.json", docsPath: "/ops/docs" }));
  // Before the audit middleware: a page view is no operation; the API calls a page makes are
  // (in-process, with the page's request id), so each lands in the operations log once.
  app.route("/console", consoleApp({ fetch: (request, env) => app.fetch(request, env) }));
  app.use("*", audit);
  // NUL, lone surrogates and invalid UTF-8 in any management input: 400 before any handler.
  app.use("/api/*", refuseUnstorableInput);
  app.route("/api/customers", customerRoutes());
  app.route("/api/customers", customerProfileRoutes());
  app.route("/api/customers", customerSuspensionRoutes());
  app.route("/api/customers", customerOffboardRoutes());
  app.route("/api/customers", customerMoveRoutes());
  // Region to region (signed): the target's side of a customer's move.
  app.route("/internal/moves", moveInRoutes());
  app.route("/internal/moves", moveInObjectRoutes());
  app.route("/api/compliance", complianceRoutes());
  app.route("/api/tokens", tokenRoutes());
  app.route("/api/audit", auditVerifyRoutes());
  app.route("/api/customers", rulesRoutes());
  app.route("/api/customers", customerStorageRoutes());
  app.route("/api/customers", bucketPolicyAdminRoutes());
  app.route("/api/storage-migrations", storageMigrationRoutes());
  app.route("/api/compliance", complianceAlertRoutes());
  app.route("/api/compliance", complianceValidateRoutes());
  app.route("/api/compliance", complianceSubscriptionRoutes());
  app.route("/api/audit", auditQueryRoutes());
  app.route("/api/audit", auditCheckpointRoutes());
  app.route("/api/audit", auditExportRoutes());
  app.route("/api/gdpr", gdprRoutes());
  app.route("/ops", opsDashboardRoutes());
  app.route("/api/holds", holdRoutes());
  app.route("/api/objects", objectVerifyRoutes());
  app.route("/api", accessKeyRoutes());
  app.route("/api", customerKeyRoutes());
  app.route("/api", customerKeyStateRoutes());
  app.route("/api", cryptoShredRoutes());
  app.route("/api/presign", presignRoutes());
  app.route("/api/notification-targets", notificationTargetRoutes());
  app.route("/api/notification-deliveries", notificationDeliveryRoutes());
  app.notFound((c) => onError(apiError.notFound(`no route for ${c.req.method} ${c.req.path}`), c));
  app.onError(onError);
  return app;
}
