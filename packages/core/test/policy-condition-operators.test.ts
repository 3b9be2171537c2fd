import { describe, expect, it } from "vitest";
import { compileBucketPolicy, evaluateBucketPolicy, parseBucketPolicy, type PolicyRequest } from "../src/policy/index.ts";

// IAM's condition operators, each under an Allow of everything: only the Deny's condition decides.
const scope = { customerId: "acme-corp", bucket: "docs" };
const KEY = "S3GWAAAAAAAAAAAAAAAA";

function policy(condition: Record<string, unknown>) {
  const allow = { Sid: "all", Effect: "Allow", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::docs", "arn:aws:s3:::docs/*"] };
  const deny = { Sid: "deny", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::docs", "arn:aws:s3:::docs/*"], Condition: condition };
  return compileBucketPolicy(parseBucketPolicy(JSON.stringify({ Version: "2012-10-17", Statement: [allow, deny] }), scope), scope);
}

function req(over: Partial<PolicyRequest> = {}): PolicyRequest {
  const base = { accessKeyId: KEY, action: "s3:ListBucket", resource: "arn:aws:s3:::docs", sourceIp: "192.0.2.10", secureTransport: false };
  return { ...base, prefix: undefined, serverSideEncryption: undefined, cannedAcl: undefined, sseCustomerAlgorithm: undefined, sseKmsKeyId: undefined, ...over };
}
/** "Deny" or "Allow" for each request; the Allow stands whenever the Deny's condition does not hold. */
const outcomes = (condition: Record<string, unknown>, ...reqs: Partial<PolicyRequest>[]) => reqs.map((r) => evaluateBucketPolicy(policy(condition), req(r)).effect);

const AT = new Date("2026-06-01T12:00:00Z");

describe("condition operators under Deny-over-Allow", () => {
  it("string operators: case-sensitive, IgnoreCase, Like, and their negations (which hold for an absent key)", () => {
    expect(outcomes({ StringEquals: { "aws:UserAgent": "bad" } }, { userAgent: "bad" }, { userAgent: "BAD" }, {})).toEqual(["Deny", "Allow", "Allow"]);
    expect(outcomes({ StringEqualsIgnoreCase: { "aws:UserAgent": ["bad", "worse"] } }, { userAgent: "BAD" }, { userAgent: "Worse" }, { userAgent: "good" }, {})).toEqual(["Deny", "Deny", "Allow", "Allow"]);
    expect(outcomes({ StringNotEqualsIgnoreCase: { "aws:UserAgent": "good" } }, { userAgent: "GOOD" }, { userAgent: "bad" }, {})).toEqual(["Allow", "Deny", "Deny"]);
    expect(outcomes({ StringNotEquals: { "s3:delimiter": "/" } }, { delimiter: "/" }, { delimiter: "|" }, {})).toEqual(["Allow", "Deny", "Deny"]);
    expect(outcomes({ StringNotLike: { "aws:Referer": "https://app.example/*" } }, { referer: "https://app.example/x" }, { referer: "https://evil.example/" }, {})).toEqual(["Allow", "Deny", "Deny"]);
  });

  it("…IfExists: an absent key satisfies the condition, a present one is tested as without the suffix", () => {
    expect(outcomes({ StringLikeIfExists: { "aws:Referer": "https://evil.example/*" } }, { referer: "https://evil.example/a" }, { referer: "https://app.example/" }, {})).toEqual(["Deny", "Allow", "Deny"]);
    expect(outcomes({ StringNotLikeIfExists: { "aws:Referer": "https://app.example/*" } }, { referer: "https://app.example/a" }, { referer: "https://evil.example/" }, {})).toEqual(["Allow", "Deny", "Deny"]);
    expect(outcomes({ NumericGreaterThanIfExists: { "s3:max-keys": "100" } }, { maxKeys: "101" }, { maxKeys: "100" }, {})).toEqual(["Deny", "Allow", "Deny"]);
    expect(outcomes({ ArnNotLikeIfExists: { "aws:PrincipalArn": `arn:aws:iam::acme-corp:user/${KEY}` } }, { principalArn: `arn:aws:iam::acme-corp:user/${KEY}` }, { principalArn: "arn:aws:iam::acme-corp:root" }, {})).toEqual(["Allow", "Deny", "Deny"]);
  });

  it("numeric operators compare numbers, never strings; a value that is not a number matches nothing", () => {
    const key = "s3:max-keys";
    expect(outcomes({ NumericEquals: { [key]: "10" } }, { maxKeys: "10" }, { maxKeys: "010" }, { maxKeys: "9" }, { maxKeys: "ten" }, {})).toEqual(["Deny", "Deny", "Allow", "Allow", "Allow"]);
    expect(outcomes({ NumericNotEquals: { [key]: "10" } }, { maxKeys: "10" }, { maxKeys: "9" }, { maxKeys: "ten" }, {})).toEqual(["Allow", "Deny", "Deny", "Deny"]);
    // "9" < "10" as numbers, not as text.
    expect(outcomes({ NumericLessThan: { [key]: "10" } }, { maxKeys: "9" }, { maxKeys: "10" }, {})).toEqual(["Deny", "Allow", "Allow"]);
    expect(outcomes({ NumericLessThanEquals: { [key]: "10" } }, { maxKeys: "10" }, { maxKeys: "11" })).toEqual(["Deny", "Allow"]);
    expect(outcomes({ NumericGreaterThan: { [key]: 1000 } }, { maxKeys: "1001" }, { maxKeys: "1000" })).toEqual(["Deny", "Allow"]);
    expect(outcomes({ NumericGreaterThanEquals: { [key]: "1000.5" } }, { maxKeys: "1001" }, { maxKeys: "1000" })).toEqual(["Deny", "Allow"]);
    expect(outcomes({ NumericGreaterThan: { "s3:signatureAge": "600000" } }, { signatureAge: 600_001 }, { signatureAge: 5 }, {})).toEqual(["Deny", "Allow", "Allow"]);
  });

  it("date operators take ISO 8601 or epoch seconds; aws:EpochTime also answers numeric operators", () => {
    const at = { requestTime: AT };
    expect(outcomes({ DateGreaterThan: { "aws:CurrentTime": "2026-05-31T23:59:59Z" } }, at, { requestTime: new Date("2026-05-01T00:00:00Z") }, {})).toEqual(["Deny", "Allow", "Allow"]);
    expect(outcomes({ DateLessThan: { "aws:CurrentTime": "2026-06-01" } }, at, { requestTime: new Date("2026-05-31T00:00:00Z") })).toEqual(["Allow", "Deny"]);
    expect(outcomes({ DateLessThanEquals: { "aws:CurrentTime": "2026-06-01T14:00:00+02:00" } }, at)).toEqual(["Deny"]);
    expect(outcomes({ DateGreaterThanEquals: { "aws:CurrentTime": String(AT.getTime() / 1000) } }, at)).toEqual(["Deny"]);
    expect(outcomes({ DateEquals: { "aws:EpochTime": String(AT.getTime() / 1000) } }, at, { requestTime: new Date(AT.getTime() + 1000) })).toEqual(["Deny", "Allow"]);
    expect(outcomes({ DateNotEquals: { "aws:CurrentTime": "2026-06-01T12:00:00Z" } }, at, { requestTime: new Date(0) }, {})).toEqual(["Allow", "Deny", "Deny"]);
    expect(outcomes({ NumericLessThan: { "aws:EpochTime": String(AT.getTime() / 1000 + 1) } }, at, { requestTime: new Date(AT.getTime() + 5000) })).toEqual(["Deny", "Allow"]);
  });

  it("ARN operators match component by component, wildcards within one component only", () => {
    const user = `arn:aws:iam::acme-corp:user/${KEY}`;
    expect(outcomes({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::acme-corp:user/*" } }, { principalArn: user }, { principalArn: "arn:aws:iam::acme-corp:root" }, {})).toEqual(["Deny", "Allow", "Allow"]);
    expect(outcomes({ ArnEquals: { "aws:PrincipalArn": user } }, { principalArn: user }, { principalArn: `${user}X` })).toEqual(["Deny", "Allow"]);
    // `*` in the account component never spans into the resource component; five parts are no ARN.
    expect(outcomes({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:root" } }, { principalArn: "arn:aws:iam::acme-corp:user/x:root" }, { principalArn: "arn:aws:iam::acme-corp:root" })).toEqual(["Allow", "Deny"]);
    expect(() => policy({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*" } })).toThrow(/not an ARN/);
    expect(outcomes({ ArnNotEquals: { "aws:PrincipalArn": user } }, { principalArn: user }, { principalArn: "arn:aws:iam::acme-corp:root" }, {})).toEqual(["Allow", "Deny", "Deny"]);
    // String operators also apply to aws:PrincipalArn, as in IAM.
    expect(outcomes({ StringLike: { "aws:PrincipalArn": "*:root" } }, { principalArn: "arn:aws:iam::acme-corp:root" }, { principalArn: user })).toEqual(["Deny", "Allow"]);
  });

  it("Null and IpAddress/NotIpAddress keep their meaning; several operators in one Condition must all hold", () => {
    expect(outcomes({ Null: { "aws:Referer": "true" } }, {}, { referer: "x" })).toEqual(["Deny", "Allow"]);
    expect(outcomes({ NotIpAddress: { "aws:SourceIp": "192.0.2.0/24" } }, {}, { sourceIp: "198.51.100.1" })).toEqual(["Allow", "Deny"]);
    const both = { StringEquals: { "s3:authType": "REST-QUERY-STRING" }, NumericGreaterThan: { "s3:signatureAge": "60000" } };
    expect(outcomes(both, { authType: "REST-QUERY-STRING", signatureAge: 120_000 }, { authType: "REST-HEADER", signatureAge: 120_000 }, { authType: "REST-QUERY-STRING", signatureAge: 1 })).toEqual(["Deny", "Allow", "Allow"]);
  });
});
