import { afterAll, beforeAll, expect, it } from "vitest";
import { rawRequest } from "../../../test/support/http.ts";
import { registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";

/**
 * S3 ignores Expect values it does not know (s3-tests: test_object_create_bad_expect_*); Node's
 * HTTP server would answer 417 Expectation Failed before the gateway saw the request.
 */
let fi: TestRegion;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  await registerWithBuckets(fi.url, "expect-co", ["expect-bucket"]);
});
afterAll(() => fi?.destroy());

it("stores and reads an object whatever unknown Expect value the client sends", async () => {
  const host = new URL(fi.url).host;
  for (const [i, expectation] of ["200", "", "something-else"].entries()) {
    const put = await rawRequest(fi.url, `PUT /s3/expect-bucket/k${i} HTTP/1.1\nHost: ${host}\nx-customer-id: expect-co\ncontent-length: 3\nexpect: ${expectation}\nconnection: close\n`, { body: "abc" });
    expect(put.startsWith("HTTP/1.1 200"), `expect: "${expectation}": ${put.slice(0, 60)}`).toBe(true);
    const get = await rawRequest(fi.url, `GET /s3/expect-bucket/k${i} HTTP/1.1\nHost: ${host}\nx-customer-id: expect-co\nexpect: ${expectation}\nconnection: close\n`);
    expect(get.startsWith("HTTP/1.1 200")).toBe(true);
    expect(get.endsWith("\r\n\r\nabc")).toBe(true);
  }
});
