/**
 * Response bodies of the regional JSON API, written to match the views the services build
 * (customerView, tokenView, accessKeyView, rulesView, dsrView, ...). Every object is exact: a
 * field a view does not give fails openapi-responses.test.ts. Fields a view gives only in some
 * states are optional; JSON documents stored as given are maps of any value.
 */
export * from "./response-access.ts";
export * from "./response-compliance.ts";
export * from "./response-customers.ts";
export * from "./response-ops.ts";
