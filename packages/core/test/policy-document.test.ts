import { describe, expect, it } from "vitest";
import { assertAcceptableAcl, assertOwnerOnlyAccessControlPolicy, isValidActionPattern, MAX_POLICY_BYTES, parseBucketPolicy, policyAccessKeyIds, validateBucketPolicy } from "../src/policy/index.ts";
import { isAppError } from "../src/errors.ts";

const scope = { customerId: "acme-corp", bucket: "docs" };
const st = (over: Record<string, unknown> = {}) => ({ Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::docs/*", ...over });
const doc = (...statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

function refusal(text: string): { code: string; message: string } {
  try {
    parseBucketPolicy(text, scope);
  } catch (err) {
    if (isAppError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("accepted");
}

describe("bucket policy documents", () => {
  it("accepts both versions, a single Statement object, Sid and Id, and keeps the document as written", () => {
    const one = parseBucketPolicy(JSON.stringify({ Version: "2008-10-17", Id: "p1", Statement: st({ Sid: "S 1" }) }), scope);
    expect(one).toEqual({ Version: "2008-10-17", Id: "p1", Statement: [st({ Sid: "S 1" })] });
    expect(validateBucketPolicy(JSON.parse(JSON.stringify(one)), scope)).toEqual(one);
  });

  it.each([
    ["not JSON", "{", "invalid Json"],
    ["not an object", "[1]", "JSON object"],
    ["an unknown top-level field", JSON.stringify({ Version: "2012-10-17", Statement: [st()], Extra: 1 }), "Unknown field Extra"],
    ["a wrong version", JSON.stringify({ Version: "2020-01-01", Statement: [st()] }), "version"],
    ["no statements", JSON.stringify({ Version: "2012-10-17", Statement: [] }), "statements"],
    ["a bad effect", doc(st({ Effect: "allow" })), "Effect"],
    ["an unknown statement field", doc(st({ Actions: "s3:*" })), "Unknown field Actions"],
    ["no principal", doc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::docs" }), "Missing required field Principal"],
    ["Principal and NotPrincipal", doc(st({ NotPrincipal: { AWS: "acme-corp" } })), "not both"],
    ["an unknown action", doc(st({ Action: "s3:GetObjects" })), "invalid action"],
    ["a Cyrillic lookalike action", doc(st({ Action: "s3:GetОbject" })), "invalid action"],
    ["a fullwidth wildcard", doc(st({ Action: "s3:Get＊" })), "invalid action"],
    ["another service's action", doc(st({ Action: "iam:PassRole" })), "invalid action"],
    ["a wildcard matching nothing", doc(st({ Action: "s3:Frobnicate*" })), "invalid action"],
    ["an action that is not a string", doc(st({ Action: [{}] })), "non-empty strings"],
    ["another bucket", doc(st({ Resource: "arn:aws:s3:::other/*" })), "invalid resource"],
    ["a bucket name prefix", doc(st({ Resource: "arn:aws:s3:::docs2/*" })), "invalid resource"],
    ["a wildcard that does not match this bucket", doc(st({ Resource: "arn:aws:s3:::oth*" })), "invalid resource"],
    ["a wildcard bucket of the wrong length", doc(st({ Resource: "arn:aws:s3:::???/*" })), "invalid resource"],
    ["an empty bucket part", doc(st({ Resource: "arn:aws:s3:::/docs" })), "invalid resource"],
    ["another partition", doc(st({ Resource: "arn:aws-cn:s3:::docs/*" })), "invalid resource"],
    ["a resource *", doc(st({ Resource: "*" })), "invalid resource"],
    ["policy variables", doc(st({ Resource: "arn:aws:s3:::docs/${aws:username}/*" })), "variables"],
    ["another customer's root", doc(st({ Principal: { AWS: "arn:aws:iam::globex:root" } })), "Invalid principal"],
    ["another customer's key", doc(st({ Principal: { AWS: "arn:aws:iam::globex:user/S3GWAAAAAAAAAAAAAAAA" } })), "Invalid principal"],
    ["a 12-digit AWS account", doc(st({ Principal: { AWS: "123456789012" } })), "Invalid principal"],
    ["a prefix of the customer id", doc(st({ Principal: { AWS: "arn:aws:iam::acme:root" } })), "Invalid principal"],
    ["a service principal", doc(st({ Principal: { Service: "s3.amazonaws.com" } })), "Invalid principal"],
    ["a canonical user of another customer", doc(st({ Principal: { CanonicalUser: "globex" } })), "Invalid principal"],
    ["NotPrincipal *", doc(st({ Principal: undefined, NotPrincipal: "*" })), "Invalid principal"],
    ["an unknown condition operator", doc(st({ Condition: { BinaryEquals: { "s3:prefix": "eA==" } } })), "Invalid Condition type"],
    ["an operator in the wrong case", doc(st({ Condition: { stringequals: { "s3:prefix": "x" } } })), "Invalid Condition type"],
    ["a set operator prefix", doc(st({ Condition: { "ForAnyValue:StringEquals": { "s3:prefix": "x" } } })), "Invalid Condition type"],
    ["IfExists on an unknown operator", doc(st({ Condition: { DateMatchesIfExists: { "aws:CurrentTime": "2020-01-01" } } })), "Invalid Condition type"],
    ["a date operator on a string key", doc(st({ Condition: { DateEqualsIfExists: { "s3:prefix": "x" } } })), "cannot be used"],
    ["a numeric operator on a date-only key", doc(st({ Condition: { NumericLessThan: { "aws:CurrentTime": "5" } } })), "cannot be used"],
    ["a date that is not one", doc(st({ Condition: { DateGreaterThan: { "aws:CurrentTime": "next tuesday" } } })), "ISO 8601"],
    ["an impossible date", doc(st({ Condition: { DateLessThan: { "aws:CurrentTime": "2020-13-45T99:00:00Z" } } })), "ISO 8601"],
    ["a number that is not one", doc(st({ Condition: { NumericGreaterThan: { "s3:max-keys": "1e3" } } })), "not a number"],
    ["an ARN that is not one", doc(st({ Condition: { ArnLike: { "aws:PrincipalArn": "acme-corp:user/x" } } })), "not an ARN"],
    ["an ARN operator on a string key", doc(st({ Condition: { ArnEquals: { "s3:prefix": "arn:aws:s3:::docs" } } })), "cannot be used"],
    ["NullIfExists", doc(st({ Condition: { NullIfExists: { "s3:prefix": "true" } } })), "Invalid Condition type"],
    ["a non-boolean Null", doc(st({ Condition: { Null: { "s3:prefix": "maybe" } } })), "true or false"],
    ["IfExists alone", doc(st({ Condition: { IfExists: { "s3:prefix": "x" } } })), "Invalid Condition type"],
    ["an unknown condition key", doc(st({ Condition: { StringEquals: { "aws:username": "x" } } })), "condition key"],
    ["a mismatched operator and key", doc(st({ Condition: { StringEquals: { "aws:SourceIp": "10.0.0.1" } } })), "cannot be used"],
    ["an invalid network", doc(st({ Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/33" } } })), "invalid network"],
    ["a non-boolean Bool", doc(st({ Condition: { Bool: { "aws:SecureTransport": "yes" } } })), "true or false"],
    ["a nested condition value", doc(st({ Condition: { StringEquals: { "s3:prefix": [["a"]] } } })), "not a string"],
    ["an empty value list", doc(st({ Condition: { StringEquals: { "s3:prefix": [] } } })), "values"],
    ["a lone surrogate in a condition value", String.raw`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::docs/*","Condition":{"StringLike":{"s3:prefix":"a\ud800"}}}]}`, "lone UTF-16 surrogate"],
    ["a NUL in a resource", String.raw`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::docs/a\u0000"}]}`, "NUL"],
    ["an inherited operator name", doc(st({ Condition: { constructor: { constructor: "x" } } })), "Invalid Condition type"],
    ["an inherited key name", doc(st({ Condition: { StringEquals: { constructor: "x" } } })), "condition key"],
    ["a __proto__ operator", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::docs/*","Condition":{"__proto__":{"__proto__":["x"]}}}]}`, "Invalid Condition type"],
    ["a __proto__ key", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::docs/*","Condition":{"StringEquals":{"__proto__":"x"}}}]}`, "condition key"],
    ["a __proto__ statement field", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::docs/*","__proto__":{}}]}`, "Unknown field"],
    ["a __proto__ principal type", doc(st({ Principal: JSON.parse('{"__proto__":{"AWS":"*"}}') })), "Invalid principal"],
  ])("refuses %s with MalformedPolicy", (_what, text, reason) => {
    const r = refusal(text);
    expect(r.code).toBe("MalformedPolicy");
    expect(r.message).toContain(reason);
  });

  it("accepts a wildcard bucket part that matches this bucket, as AWS does", () => {
    for (const Resource of ["arn:aws:s3:::*", "arn:aws:s3:::*/*", "arn:aws:s3:::do*/private/*", "arn:aws:s3:::d?cs"]) {
      expect(parseBucketPolicy(doc(st({ Resource })), scope).Statement[0]!.Resource).toBe(Resource);
    }
  });

  it("refuses documents over 20 KiB, also when the excess is multi-byte characters", () => {
    const big = doc(st({ Sid: "x".repeat(200) }), ...Array.from({ length: 90 }, () => st({ Resource: `arn:aws:s3:::docs/${"é".repeat(120)}` })));
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_POLICY_BYTES);
    expect(big.length).toBeLessThan(MAX_POLICY_BYTES);
    expect(refusal(big).code).toBe("MalformedPolicy");
  });

  it("refuses deeply nested JSON without exhausting the stack", () => {
    const deep = `{"Version":"2012-10-17","Statement":${"[".repeat(9000)}${"]".repeat(9000)}}`;
    expect(refusal(deep).code).toBe("MalformedPolicy");
    const deepCondition = doc(st({ Condition: JSON.parse(`${'{"a":'.repeat(500)}1${"}".repeat(500)}`) }));
    expect(refusal(deepCondition).code).toBe("MalformedPolicy");
  });

  it("names the access keys it uses as principals", () => {
    const d = parseBucketPolicy(doc(st({ Principal: { AWS: ["arn:aws:iam::acme-corp:user/S3GWAAAAAAAAAAAAAAAA", "arn:aws:iam::acme-corp:root"] } }), st({ NotPrincipal: { AWS: "arn:aws:iam::acme-corp:user/S3GWBBBBBBBBBBBBBBBB" }, Principal: undefined })), scope);
    expect(policyAccessKeyIds(d, scope).sort()).toEqual(["S3GWAAAAAAAAAAAAAAAA", "S3GWBBBBBBBBBBBBBBBB"]);
  });

  it("knows S3's action names", () => {
    expect(isValidActionPattern("*")).toBe(true);
    expect(isValidActionPattern("s3:*")).toBe(true);
    expect(isValidActionPattern("S3:getobject")).toBe(true);
    expect(isValidActionPattern("s3:Get*")).toBe(true);
    expect(isValidActionPattern("s3:GetObject ")).toBe(false);
    expect(isValidActionPattern("s3:")).toBe(false);
  });
});

describe("ACLs", () => {
  const code = (f: () => void) => {
    try {
      f();
      return "ok";
    } catch (err) {
      return isAppError(err) ? `${err.code}: ${err.message}` : "thrown";
    }
  };
  const headers = (h: Record<string, string>) => (name: string) => h[name];

  it("accepts the owner-only canned ACLs and refuses public ones, grant headers and unknown ones", () => {
    for (const acl of ["private", "bucket-owner-read", "bucket-owner-full-control"]) expect(code(() => assertAcceptableAcl(headers({ "x-amz-acl": acl })))).toBe("ok");
    expect(code(() => assertAcceptableAcl(headers({})))).toBe("ok");
    for (const acl of ["public-read", "public-read-write", "authenticated-read", "log-delivery-write"]) expect(code(() => assertAcceptableAcl(headers({ "x-amz-acl": acl })))).toMatch(/^AccessDenied: .*tenancy is absolute/);
    expect(code(() => assertAcceptableAcl(headers({ "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' })))).toMatch(/^AccessDenied/);
    expect(code(() => assertAcceptableAcl(headers({ "x-amz-grant-full-control": 'id="acme-corp"' })))).toMatch(/^AccessDenied/);
    expect(code(() => assertAcceptableAcl(headers({ "x-amz-acl": "Private" })))).toMatch(/^InvalidArgument/);
  });

  const acp = (grants: unknown[], owner: unknown = { ID: "acme-corp" }) => ({ AccessControlPolicy: { Owner: owner, AccessControlList: { Grant: grants } } });
  const own = { Grantee: { ID: "acme-corp", DisplayName: "acme-corp" }, Permission: "FULL_CONTROL" };

  it("an AccessControlPolicy may only grant the owner FULL_CONTROL", () => {
    expect(code(() => assertOwnerOnlyAccessControlPolicy(acp([own]), "acme-corp"))).toBe("ok");
    expect(code(() => assertOwnerOnlyAccessControlPolicy(acp(own as unknown as unknown[]), "acme-corp"))).toBe("ok");
    expect(code(() => assertOwnerOnlyAccessControlPolicy(acp([own, { Grantee: { URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" }]), "acme-corp"))).toMatch(/^AccessDenied: .*AllUsers/);
    expect(code(() => assertOwnerOnlyAccessControlPolicy(acp([{ Grantee: { ID: "globex" }, Permission: "FULL_CONTROL" }]), "acme-corp"))).toMatch(/^AccessDenied: .*globex/);
    expect(code(() => assertOwnerOnlyAccessControlPolicy(acp([{ Grantee: { EmailAddress: "a@b" }, Permission: "READ" }]), "acme-corp"))).toMatch(/^UnresolvableGrantByEmailAddress: .*tenancy is absolute/);
    expect(code(() => assertOwnerOnlyAccessControlPolicy(acp([own, { Grantee: { ID: "_foo" }, Permission: "FULL_CONTROL" }]), "acme-corp"))).toBe("InvalidArgument: Invalid id");
    expect(code(() => assertOwnerOnlyAccessControlPolicy(acp([{ ...own, Permission: "READ" }]), "acme-corp"))).toMatch(/^AccessDenied/);
    expect(code(() => assertOwnerOnlyAccessControlPolicy(acp([own], { ID: "globex" }), "acme-corp"))).toMatch(/^AccessDenied: .*owner/);
    expect(code(() => assertOwnerOnlyAccessControlPolicy(acp([]), "acme-corp"))).toMatch(/^MalformedACLError/);
    expect(code(() => assertOwnerOnlyAccessControlPolicy({ Other: {} }, "acme-corp"))).toMatch(/^MalformedACLError/);
  });
});
