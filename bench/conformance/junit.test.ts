// The conformance report's reading of pytest's junit XML: outcomes, the cause each failure is
// grouped under, and the feature row a test lands in. The XML is pytest's own (xunit1, as the
// runner asks for), cut from a run of ceph/s3-tests against the gateway.
import { describe, expect, it } from "vitest";
import { causeOf, featureOf, parseJunit } from "./junit.ts";
import { renderReport, summaryLine } from "./report.ts";

const XML = `<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="3" skipped="1" tests="6" time="9.1">`
  + `<testcase classname="s3tests_boto3.functional.test_s3" name="test_bucket_list_empty" file="s3tests_boto3/functional/test_s3.py" line="106" time="0.254" />`
  + `<testcase classname="s3tests_boto3.functional.test_headers" name="test_object_create_bad_expect_empty" file="s3tests_boto3/functional/test_headers.py" line="189" time="0.091"><failure message="botocore.exceptions.ClientError: An error occurred (417) when calling the PutObject operation: Expectation Failed">@pytest.mark.auth_common
    def test_object_create_bad_expect_empty():
&gt;       bucket_name, key_name = _add_header_create_object({'Expect': ''})</failure></testcase>`
  + `<testcase classname="s3tests_boto3.functional.test_headers" name="test_bucket_create_bad_date_invalid_aws2" file="s3tests_boto3/functional/test_headers.py" line="523" time="0.070"><failure message="assert 400 == 403">&gt;       assert status == 403
E       assert 400 == 403

s3tests_boto3/functional/test_headers.py:530: AssertionError</failure></testcase>`
  + `<testcase classname="s3tests_boto3.functional.test_s3" name="test_encryption_sse_c_no_key" file="s3tests_boto3/functional/test_s3.py" line="10381" time="0.116"><failure message="AssertionError: ClientError not raised">&gt;       e = assert_raises(ClientError, client.put_object, Bucket=bucket_name, Key=key, Body=data)
E       AssertionError: ClientError not raised</failure></testcase>`
  + `<testcase classname="s3tests_boto3.functional.test_s3" name="test_object_head_zero_bytes" file="s3tests_boto3/functional/test_s3.py" line="1700" time="0.010"><error message="failed on setup with &quot;botocore.exceptions.ClientError: An error occurred (InvalidArgument) when calling the ListObjectVersions operation: Invalid version id specified&quot;">E           botocore.exceptions.ClientError: An error occurred (InvalidArgument) when calling the ListObjectVersions operation</error></testcase>`
  + `<testcase classname="s3tests_boto3.functional.test_s3" name="test_bucket_get_location" file="s3tests_boto3/functional/test_s3.py" line="3844" time="0.171"><skipped type="pytest.skip" message="no api_name configured">/tmp/s3-tests/s3tests_boto3/functional/test_s3.py:3849: no api_name configured</skipped></testcase>`
  + `</testsuite></testsuites>`;

describe("parseJunit", () => {
  const results = parseJunit(XML);

  it("reads every testcase with its outcome and suite file", () => {
    expect(results.map((r) => [r.name, r.outcome, r.file])).toEqual([
      ["test_bucket_list_empty", "passed", "test_s3"],
      ["test_object_create_bad_expect_empty", "failed", "test_headers"],
      ["test_bucket_create_bad_date_invalid_aws2", "failed", "test_headers"],
      ["test_encryption_sse_c_no_key", "failed", "test_s3"],
      ["test_object_head_zero_bytes", "errored", "test_s3"],
      ["test_bucket_get_location", "skipped", "test_s3"],
    ]);
  });

  it("names the cause: the S3 code botocore saw, else the HTTP status asserted, else 'assertion'", () => {
    expect(results.map((r) => r.cause)).toEqual(["", "417", "HTTP 400 (expected 403)", "assertion", "InvalidArgument", "skipped"]);
    expect(results[4]!.message).toContain("failed on setup with \"botocore.exceptions.ClientError");
  });

  it("groups by feature from the name, test_headers.py as a row of its own", () => {
    expect(results.map((r) => featureOf(r.name, r.file))).toEqual([
      "listing", "headers / SigV2 (test_headers.py)", "headers / SigV2 (test_headers.py)", "encryption (SSE)", "object get/put/delete", "other",
    ]);
    expect(featureOf("test_versioning_multi_object_delete_with_marker_create")).toBe("versioning");
    expect(featureOf("test_object_lock_put_obj_retention")).toBe("object lock");
  });

  it("reports a timeout and an exception type", () => {
    expect(causeOf("Failed: Timeout >180.0s", "")).toBe("Timeout");
    expect(causeOf("KeyError: 'x-amz-server-side-encryption'", "E   KeyError: 'x-amz-server-side-encryption'")).toBe("KeyError");
  });

  it("renders totals, per-feature rows and the per-test list", () => {
    expect(summaryLine(results)).toBe("passed 1 / failed 3 / errored 1 / skipped 1 / total 6");
    const md = renderReport({ target: "gateway", revision: "abc1234", suite: "ceph/s3-tests", markers: "not fails_on_aws", started: new Date("2026-12-02T18:00:00Z"), seconds: 60 }, results, { perTest: true });
    expect(md).toContain("**1 passed** of 6 collected");
    expect(md).toContain("| headers / SigV2 (test_headers.py) | 2 | 0 | 2 |");
    expect(md).toContain("test_object_create_bad_expect_empty — failed — 417");
  });
});
