// The regional gateway's OpenAPI builders: the shared ones (@s3gw/openapi) with what its errors mean.
import { errorResponses } from "@s3gw/openapi";
import { z } from "zod";

export { errorSchema, jsonRequestBody, noContent, ok, pathParams, registerRoute } from "@s3gw/openapi";

const texts = {
  400: "bad input (zod validation, malformed id, unstorable text)",
  401: "no or unknown bearer token",
  403: "the token's role or customer scope does not allow this",
  404: "not found",
  409: "conflict with the current state",
  413: "body too large",
  503: "a dependency (database, storage, global router) is unavailable",
};
/** The error responses every authenticated route may give, plus the route's own. */
export const errors = errorResponses([400, 401, 403, 503], texts);
/** Those of an open route without input: only its own (no token to refuse, nothing to validate). */
export const openErrors = errorResponses([], texts);

export const customerIdParam = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/).describe("customer id");
export const uuidParam = z.uuid();

/** A keyset page: `items` and the cursor of the next page (null at the end). */
export const page = <T extends z.ZodType>(item: T) => z.strictObject({ items: z.array(item), next_cursor: z.string().nullable() });
