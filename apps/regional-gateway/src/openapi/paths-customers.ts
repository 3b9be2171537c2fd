import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { customerListQuery } from "../services/access/customer-list.ts";
import { profilePatchSchema } from "../services/access/customer-profile.ts";
import { suspendSchema } from "../services/access/customer-suspension.ts";
import { registrationSchema } from "../services/access/customers.ts";
import { rulesBodySchema } from "../services/compliance/rules.ts";
import { offboardSchema } from "../services/offboarding/offboarding.ts";
import { moveSchema } from "../services/moves/move.ts";
import { putStorageSchema, rotateStorageSchema } from "../services/storage/customer-storage-config.ts";
import { customerIdParam, errors, jsonRequestBody, noContent, ok, page, pathParams, registerRoute } from "./common.ts";
import * as r from "./responses.ts";

const id = pathParams({ id: customerIdParam });
const bucketPath = pathParams({ id: customerIdParam, bucket: z.string().min(3).max(63) });

/** Customers: registration, listing, profile, suspension, offboarding, region moves, rules, storage, bucket policies. */
export function registerCustomerPaths(reg: OpenAPIRegistry): void {
  const tag = "customers";
  registerRoute(reg, tag, { method: "get", path: "/api/customers", summary: "List the customers homed in this region", request: { query: customerListQuery }, responses: { 200: ok(page(r.customerListItemSchema)), ...errors() } });
  registerRoute(reg, tag, {
    method: "post", path: "/api/customers/{id}/register", summary: "Register a customer's compliance profile (admin)",
    request: { params: id, ...jsonRequestBody(registrationSchema) },
    responses: { 201: ok(r.registeredSchema, "registered"), ...errors(409) },
  });
  registerRoute(reg, tag, { method: "get", path: "/api/customers/{id}/info", summary: "A customer's profile and usage", request: { params: id }, responses: { 200: ok(r.customerInfoSchema), ...errors(404) } });
  registerRoute(reg, tag, { method: "patch", path: "/api/customers/{id}", summary: "Change a profile (admin)", request: { params: id, ...jsonRequestBody(profilePatchSchema) }, responses: { 200: ok(r.profilePatchedSchema), ...errors(404, 409) } });
  registerRoute(reg, tag, { method: "post", path: "/api/customers/{id}/suspend", summary: "Suspend a customer (admin)", request: { params: id, ...jsonRequestBody(suspendSchema) }, responses: { 200: ok(r.suspensionSchema), ...errors(404, 409) } });
  registerRoute(reg, tag, { method: "post", path: "/api/customers/{id}/resume", summary: "Resume a suspended customer (admin)", request: { params: id }, responses: { 200: ok(r.suspensionSchema), ...errors(404, 409) } });
  registerRoute(reg, tag, { method: "post", path: "/api/customers/{id}/offboard", summary: "Start or resume offboarding (admin)", request: { params: id, ...jsonRequestBody(offboardSchema) }, responses: { 200: ok(r.offboardStartedSchema), ...errors(404, 409) } });
  registerRoute(reg, tag, { method: "get", path: "/api/customers/{id}/offboard", summary: "Where offboarding is", request: { params: id }, responses: { 200: ok(r.offboardingSchema), ...errors(404) } });
  registerRoute(reg, tag, {
    method: "post", path: "/api/customers/{id}/move", summary: "Move a customer to another region, or resume its move (admin, on the source region)",
    request: { params: id, ...jsonRequestBody(moveSchema) },
    responses: { 200: ok(r.moveStartedSchema), ...errors(404, 409) },
  });
  registerRoute(reg, tag, { method: "get", path: "/api/customers/{id}/move", summary: "Where a customer's move is", request: { params: id }, responses: { 200: ok(r.moveSchema), ...errors(404) } });

  const rules = "compliance rules";
  registerRoute(reg, rules, { method: "get", path: "/api/customers/{id}/rules", summary: "A customer's compliance rules", request: { params: id }, responses: { 200: ok(r.rulesAnswerSchema), ...errors(404) } });
  registerRoute(reg, rules, { method: "put", path: "/api/customers/{id}/rules", summary: "Replace a customer's compliance rules", request: { params: id, ...jsonRequestBody(rulesBodySchema) }, responses: { 200: ok(r.rulesPutAnswerSchema), ...errors(404, 409) } });

  const storage = "customer storage";
  registerRoute(reg, storage, { method: "get", path: "/api/customers/{id}/storage", summary: "The customer's own bucket as storage target", request: { params: id }, responses: { 200: ok(r.storageViewSchema), ...errors(404) } });
  registerRoute(reg, storage, { method: "put", path: "/api/customers/{id}/storage", summary: "Configure the customer's own bucket", request: { params: id, ...jsonRequestBody(putStorageSchema) }, responses: { 200: ok(r.storageChangedSchema), ...errors(404, 409) } });
  registerRoute(reg, storage, { method: "delete", path: "/api/customers/{id}/storage", summary: "Stop writing to the customer's own bucket", request: { params: id }, responses: { 204: noContent, ...errors(404, 409) } });
  registerRoute(reg, storage, { method: "post", path: "/api/customers/{id}/storage/validate", summary: "Probe the configured bucket", request: { params: id }, responses: { 200: ok(r.probeSchema), ...errors(404, 409) } });
  registerRoute(reg, storage, { method: "post", path: "/api/customers/{id}/storage/rotate", summary: "Rotate the bucket's credentials", request: { params: id, ...jsonRequestBody(rotateStorageSchema) }, responses: { 200: ok(r.storageChangedSchema), ...errors(404, 409) } });

  const policy = "bucket policies";
  registerRoute(reg, policy, { method: "get", path: "/api/customers/{id}/buckets/{bucket}/policy", summary: "A bucket's policy, as the operator sees it", request: { params: bucketPath }, responses: { 200: ok(r.bucketPolicySchema), ...errors(404) } });
  registerRoute(reg, policy, { method: "delete", path: "/api/customers/{id}/buckets/{bucket}/policy", summary: "Remove a bucket's policy", request: { params: bucketPath }, responses: { 204: noContent, ...errors(404) } });
}
