// The global router's OpenAPI builders: the shared ones (@s3gw/openapi) with what its errors mean.
import { errorResponses } from "@s3gw/openapi";

export { errorSchema, jsonRequestBody, noContent, ok, pathParams, registerRoute } from "@s3gw/openapi";

const texts = {
  400: "bad input (zod validation, malformed id, unstorable text)",
  401: "no or wrong admin token",
  403: "refused",
  404: "not found",
  409: "conflict with the current state",
  413: "body too large",
  503: "the global database is unavailable",
};
/** The error responses every authenticated route may give, plus the route's own. */
export const errors = errorResponses([400, 401, 503], texts);
/** Those of an open route without input: only its own (no token to refuse, nothing to validate). */
export const openErrors = errorResponses([], texts);
