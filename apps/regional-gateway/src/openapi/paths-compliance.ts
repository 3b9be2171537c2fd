import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { alertsQuery, resolveBody } from "../routes/api/compliance-alerts.ts";
import { validateQuery } from "../routes/api/compliance-validate.ts";
import { listQuery as holdsQuery } from "../routes/api/holds.ts";
import { verifySchema } from "../routes/api/objects-verify.ts";
import { holdSchema } from "../services/compliance/holds.ts";
import { createSubscriptionSchema, listSubscriptionsQuery } from "../services/events/compliance-subscriptions.ts";
import { createDsrSchema, listDsrSchema } from "../services/gdpr/gdpr.ts";
import { patchDsrSchema } from "../services/gdpr/gdpr-tracking.ts";
import { errors, jsonRequestBody, ok, page, pathParams, registerRoute, uuidParam } from "./common.ts";
import * as r from "./responses.ts";

const uuidPath = pathParams({ id: uuidParam });

/** The compliance API: summary, alerts, residency validation, subscriptions, holds, integrity, GDPR requests. */
export function registerCompliancePaths(reg: OpenAPIRegistry): void {
  const tag = "compliance";
  registerRoute(reg, tag, {
    method: "get", path: "/api/compliance/summary", summary: "A customer's compliance summary",
    request: { headers: z.object({ "x-customer-id": z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/) }) },
    responses: { 200: ok(r.complianceSummarySchema), ...errors(404) },
  });
  registerRoute(reg, tag, { method: "get", path: "/api/compliance/alerts", summary: "Open compliance events", request: { query: alertsQuery }, responses: { 200: ok(page(r.complianceEventSchema)), ...errors() } });
  registerRoute(reg, tag, { method: "post", path: "/api/compliance/events/{id}/resolve", summary: "Resolve a compliance event", request: { params: uuidPath, ...jsonRequestBody(resolveBody) }, responses: { 200: ok(r.complianceEventSchema), ...errors(404, 409) } });
  registerRoute(reg, tag, { method: "get", path: "/api/compliance/validate/data-residency", summary: "Check where every object's bytes are", request: { query: validateQuery }, responses: { 200: ok(r.residencyReportSchema), ...errors(404) } });
  registerRoute(reg, tag, { method: "post", path: "/api/compliance/subscriptions", summary: "Subscribe a target to compliance events", request: jsonRequestBody(createSubscriptionSchema), responses: { 201: ok(r.subscriptionSchema, "created"), ...errors(404, 409) } });
  registerRoute(reg, tag, { method: "get", path: "/api/compliance/subscriptions", summary: "List compliance subscriptions", request: { query: listSubscriptionsQuery }, responses: { 200: ok(page(r.subscriptionSchema)), ...errors() } });
  registerRoute(reg, tag, { method: "delete", path: "/api/compliance/subscriptions/{id}", summary: "Delete a subscription", request: { params: uuidPath }, responses: { 200: ok(r.subscriptionSchema), ...errors(404) } });

  const holds = "legal holds";
  registerRoute(reg, holds, { method: "put", path: "/api/holds", summary: "Place a legal hold on an object version", description: "S3 legal-hold semantics: the hold is the version's own. With `version_id` (a noncurrent version too, `null` for the null version) that version is held; without it, the key's current version, as before version ids were accepted. Later versions of the key are not held.", request: jsonRequestBody(holdSchema), responses: { 200: ok(r.holdSchema), ...errors(404) } });
  registerRoute(reg, holds, { method: "delete", path: "/api/holds", summary: "Lift a legal hold", description: "Lifts the hold of the version named by `version_id`, or of the key's current version without it. 409 when that version has no legal hold.", request: jsonRequestBody(holdSchema), responses: { 200: ok(r.holdSchema), ...errors(404, 409) } });
  registerRoute(reg, holds, { method: "get", path: "/api/holds", summary: "List holds and retentions", request: { query: holdsQuery }, responses: { 200: ok(page(r.holdSchema)), ...errors() } });
  registerRoute(reg, holds, { method: "post", path: "/api/objects/verify", summary: "Re-hash stored bytes against their recorded SHA-256", request: jsonRequestBody(verifySchema), responses: { 200: ok(r.verifyReportSchema), ...errors(404) } });

  const gdpr = "gdpr";
  registerRoute(reg, gdpr, { method: "post", path: "/api/gdpr/requests", summary: "Receive a data-subject request", request: jsonRequestBody(createDsrSchema), responses: { 201: ok(r.dsrSchema, "created"), ...errors(404) } });
  registerRoute(reg, gdpr, { method: "get", path: "/api/gdpr/requests", summary: "List data-subject requests", request: { query: listDsrSchema }, responses: { 200: ok(r.dsrListSchema), ...errors() } });
  registerRoute(reg, gdpr, { method: "get", path: "/api/gdpr/requests/{id}", summary: "A data-subject request", request: { params: uuidPath }, responses: { 200: ok(r.dsrSchema), ...errors(404) } });
  registerRoute(reg, gdpr, { method: "patch", path: "/api/gdpr/requests/{id}", summary: "Track a data-subject request", request: { params: uuidPath, ...jsonRequestBody(patchDsrSchema) }, responses: { 200: ok(r.dsrSchema), ...errors(404, 409) } });
  registerRoute(reg, gdpr, { method: "post", path: "/api/gdpr/requests/{id}/execute", summary: "Carry out a data-subject request", request: { params: uuidPath }, responses: { 200: ok(r.dsrSchema), ...errors(404, 409) } });
  registerRoute(reg, gdpr, { method: "post", path: "/api/gdpr/requests/{id}/lift", summary: "Lift a processing restriction", request: { params: uuidPath }, responses: { 200: ok(r.dsrSchema), ...errors(404, 409) } });
  registerRoute(reg, gdpr, {
    method: "get", path: "/api/gdpr/requests/{id}/export", summary: "Download an access or portability export (a JSON attachment)",
    request: { params: uuidPath }, responses: { 200: ok(r.dsrExportSchema, "the export document"), ...errors(404, 409) },
  });
}
