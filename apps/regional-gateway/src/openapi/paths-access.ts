import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { createAccessKeySchema, listAccessKeysQuery, updateAccessKeySchema } from "../services/access/access-keys.ts";
import { presignSchema } from "../services/access/presign.ts";
import { createTokenSchema } from "../services/access/tokens.ts";
import { cryptoShredSchema } from "../services/keys/crypto-shred.ts";
import { createKeySchema, listKeysQuery, scheduleDeletionSchema } from "../services/keys/customer-keys.ts";
import { customerIdParam, errors, jsonRequestBody, noContent, ok, page, pathParams, registerRoute, uuidParam } from "./common.ts";
import * as r from "./responses.ts";

const id = pathParams({ id: customerIdParam });
const akid = pathParams({ id: customerIdParam, akid: z.string().regex(/^S3GW[A-Z2-7]{16}$/) });
const keyId = pathParams({ id: customerIdParam, keyId: uuidParam });

/** Tokens, S3 access keys, presigned URLs, customer keys (KEKs) and crypto-shredding. */
export function registerAccessPaths(reg: OpenAPIRegistry): void {
  const tokens = "tokens";
  registerRoute(reg, tokens, { method: "post", path: "/api/tokens", summary: "Mint a management token (admin; the secret is shown once)", request: jsonRequestBody(createTokenSchema), responses: { 201: ok(r.tokenCreatedSchema, "created"), ...errors() } });
  registerRoute(reg, tokens, { method: "get", path: "/api/tokens", summary: "List management tokens (never secrets)", responses: { 200: ok(r.tokenListSchema), ...errors() } });
  registerRoute(reg, tokens, { method: "delete", path: "/api/tokens/{id}", summary: "Revoke a token", request: { params: pathParams({ id: uuidParam }) }, responses: { 204: noContent, ...errors(404) } });

  const keys = "access keys";
  registerRoute(reg, keys, { method: "post", path: "/api/customers/{id}/access-keys", summary: "Create an S3 access key (the secret is shown once)", request: { params: id, ...jsonRequestBody(createAccessKeySchema, false) }, responses: { 201: ok(r.accessKeyCreatedSchema, "created"), ...errors(404) } });
  registerRoute(reg, keys, { method: "get", path: "/api/customers/{id}/access-keys", summary: "List a customer's access keys", request: { params: id, query: listAccessKeysQuery }, responses: { 200: ok(page(r.accessKeySchema)), ...errors(404) } });
  registerRoute(reg, keys, { method: "patch", path: "/api/customers/{id}/access-keys/{akid}", summary: "Disable, enable, or change bypass_governance", request: { params: akid, ...jsonRequestBody(updateAccessKeySchema, false) }, responses: { 200: ok(r.accessKeySchema), ...errors(404) } });
  registerRoute(reg, keys, { method: "delete", path: "/api/customers/{id}/access-keys/{akid}", summary: "Delete an access key", request: { params: akid }, responses: { 204: noContent, ...errors(404) } });
  registerRoute(reg, keys, { method: "post", path: "/api/access-keys/rotate-master-key", summary: "Re-encrypt every secret under the active master key (admin)", responses: { 200: ok(r.rotateMasterKeySchema), ...errors() } });
  registerRoute(reg, keys, { method: "post", path: "/api/presign", summary: "A presigned URL on the global endpoint", request: jsonRequestBody(presignSchema), responses: { 201: ok(r.presignedSchema, "issued"), ...errors(404) } });

  const kek = "customer keys";
  registerRoute(reg, kek, { method: "post", path: "/api/customers/{id}/keys", summary: "Create a customer key", request: { params: id, ...jsonRequestBody(createKeySchema, false) }, responses: { 201: ok(r.customerKeySchema, "created"), ...errors(404) } });
  registerRoute(reg, kek, { method: "get", path: "/api/customers/{id}/keys", summary: "List a customer's keys", request: { params: id, query: listKeysQuery }, responses: { 200: ok(page(r.customerKeySchema)), ...errors(404) } });
  registerRoute(reg, kek, { method: "get", path: "/api/customers/{id}/keys/{keyId}", summary: "Describe a key", request: { params: keyId }, responses: { 200: ok(r.customerKeySchema), ...errors(404) } });
  for (const action of ["rotate", "disable", "enable", "cancel-deletion"] as const) {
    registerRoute(reg, kek, { method: "post", path: `/api/customers/{id}/keys/{keyId}/${action}`, summary: `${action.replace("-", " ")} a key`, request: { params: keyId }, responses: { 200: ok(r.customerKeySchema), ...errors(404, 409) } });
  }
  registerRoute(reg, kek, { method: "post", path: "/api/customers/{id}/keys/{keyId}/schedule-deletion", summary: "Schedule a key's deletion", request: { params: keyId, ...jsonRequestBody(scheduleDeletionSchema, false) }, responses: { 200: ok(r.customerKeySchema), ...errors(404, 409) } });

  const shred = "crypto-shredding";
  registerRoute(reg, shred, { method: "post", path: "/api/customers/{id}/crypto-shred", summary: "Schedule destroying all the customer's keys (admin)", request: { params: id, ...jsonRequestBody(cryptoShredSchema) }, responses: { 202: ok(r.cryptoShredSchema, "scheduled"), ...errors(404, 409) } });
  registerRoute(reg, shred, { method: "get", path: "/api/customers/{id}/crypto-shred", summary: "The customer's crypto-shred request", request: { params: id }, responses: { 200: ok(r.cryptoShredSchema), ...errors(404) } });
  registerRoute(reg, shred, { method: "delete", path: "/api/customers/{id}/crypto-shred", summary: "Cancel a scheduled crypto-shred", request: { params: id }, responses: { 200: ok(r.cryptoShredSchema), ...errors(404, 409) } });
}
