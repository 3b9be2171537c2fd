import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isAppError } from "../src/errors.ts";
import { parseSseRequest, validateContext, type SseParseOptions } from "../src/sse/sse-request.ts";

const KEY = randomBytes(32);
const KEY_B64 = KEY.toString("base64");
const md5 = (b: Buffer) => createHash("md5").update(b).digest("base64");
const KEY_MD5 = md5(KEY);
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** A getter over a header map, as the gateway passes one: lower-case names, any spelling the client sent. */
const getter = (headers: Record<string, string>) => {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name: string) => lower.get(name);
};
const parse = (headers: Record<string, string>, opts: SseParseOptions = { kind: "write" }) => parseSseRequest(getter(headers), opts);

function refusal(headers: Record<string, string>, opts: SseParseOptions = { kind: "write" }): [number, string, string] {
  try {
    parse(headers, opts);
  } catch (e) {
    if (isAppError(e)) return [e.status, e.code, e.message];
    throw e;
  }
  throw new Error(`accepted: ${JSON.stringify(headers)}`);
}

const trio = (prefix = "x-amz-server-side-encryption-customer-", key = KEY_B64, keyMd5 = KEY_MD5) => ({
  [`${prefix}algorithm`]: "AES256",
  [`${prefix}key`]: key,
  [`${prefix}key-MD5`]: keyMd5,
});
const SSE_C = "Requests specifying Server Side Encryption with Customer provided keys";

describe("parseSseRequest: SSE-S3 and SSE-KMS on writes", () => {
  it("no headers is no request (the bucket default applies); AES256 and aws:kms parse", () => {
    expect(parse({})).toBeUndefined();
    expect(parse({ "x-amz-server-side-encryption": "AES256" })).toEqual({ mode: "AES256" });
    expect(parse({ "x-amz-server-side-encryption": "aws:kms" })).toEqual({ mode: "aws:kms" });
    const ctx = b64(JSON.stringify({ project: "apollo", "team:x": "ü" }));
    expect(
      parse({
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:fi-hel:acme:key/k-1",
        "x-amz-server-side-encryption-context": ctx,
        "x-amz-server-side-encryption-bucket-key-enabled": "TRUE",
      }),
    ).toEqual({ mode: "aws:kms", keyId: "arn:aws:kms:fi-hel:acme:key/k-1", context: ctx, bucketKeyEnabled: true });
    expect(parse({ "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-bucket-key-enabled": "false" })).toEqual({ mode: "aws:kms", bucketKeyEnabled: false });
    // A Bucket Key flag with SSE-S3 is accepted and means nothing.
    expect(parse({ "x-amz-server-side-encryption": "AES256", "x-amz-server-side-encryption-bucket-key-enabled": "true" })).toEqual({ mode: "AES256" });
  });

  it("refuses every other method, dsse included, and the empty value", () => {
    for (const method of ["", "aes256", "AES512", "aes:kms", "aws:kms:dsse", "aws:fsx", " AES256"]) {
      expect(refusal({ "x-amz-server-side-encryption": method })).toEqual([400, "InvalidArgument", "The encryption method specified is not supported"]);
    }
  });

  it("a KMS key id or context without aws:kms is refused as AWS words it", () => {
    const msg = "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms";
    expect(refusal({ "x-amz-server-side-encryption-aws-kms-key-id": "k-1" })).toEqual([400, "InvalidArgument", msg]);
    expect(refusal({ "x-amz-server-side-encryption": "AES256", "x-amz-server-side-encryption-aws-kms-key-id": "k-1" })).toEqual([400, "InvalidArgument", msg]);
    expect(refusal({ "x-amz-server-side-encryption": "AES256", "x-amz-server-side-encryption-context": b64("{}") })).toEqual([400, "InvalidArgument", msg]);
    expect(refusal({ "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": " " })[1]).toBe("InvalidArgument");
  });

  it("the context must be base64 of a JSON object of string values", () => {
    const msg = "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map";
    const bad = [
      "not base64!", "", b64("not json"), b64("[]"), b64("null"), b64('"s"'), b64('{"n":1}'), b64('{"o":{"a":"b"}}'),
      b64('{"a":"bc"}').replace(/=+$/, ""), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x22, 0x22, 0x7d]).toString("base64"),
    ];
    for (const context of bad) {
      expect(refusal({ "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-context": context })).toEqual([400, "InvalidArgument", msg]);
    }
    expect(validateContext(b64('{"a":"b","c":""}'))).toEqual({ a: "b", c: "" });
    expect(validateContext(b64("{}"))).toEqual({});
  });

  it("bucket-key-enabled is true or false", () => {
    for (const v of ["yes", "1", ""]) {
      expect(refusal({ "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-bucket-key-enabled": v })[1]).toBe("InvalidArgument");
    }
  });
});

describe("parseSseRequest: SSE-C", () => {
  it("parses the trio in either MD5 spelling, and the copy source's own trio", () => {
    expect(parse(trio())).toEqual({ mode: "SSE-C", key: KEY, keyMd5: KEY_MD5 });
    const lower = { "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": KEY_B64, "x-amz-server-side-encryption-customer-key-md5": KEY_MD5 };
    expect(parse(lower, { kind: "read" })).toEqual({ mode: "SSE-C", key: KEY, keyMd5: KEY_MD5 });
    const source = trio("x-amz-copy-source-server-side-encryption-customer-");
    expect(parse(source, { kind: "copy-source" })).toEqual({ mode: "SSE-C", key: KEY, keyMd5: KEY_MD5 });
    // Each trio is read only where it belongs: the source's is not the destination's, nor the reverse.
    expect(parse(source, { kind: "write" })).toBeUndefined();
    expect(parse(trio(), { kind: "copy-source" })).toBeUndefined();
    expect(parse({}, { kind: "read" })).toBeUndefined();
  });

  it("ceph s3-tests' fixed key and MD5 check out", () => {
    const key = "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=";
    expect(parse(trio(undefined, key, "DWygnHRtgiJ77HCm+1rvHw=="))).toMatchObject({ mode: "SSE-C", keyMd5: "DWygnHRtgiJ77HCm+1rvHw==" });
  });

  for (const [kind, prefix] of [["write", "x-amz-server-side-encryption-customer-"], ["read", "x-amz-server-side-encryption-customer-"], ["copy-source", "x-amz-copy-source-server-side-encryption-customer-"]] as const) {
    it(`refuses each broken trio with AWS's code and message (${kind})`, () => {
      const opts = { kind };
      const t = trio(prefix);
      const without = (h: string) => Object.fromEntries(Object.entries(t).filter(([k]) => !k.endsWith(h)));
      const short = randomBytes(24);
      const cases: [Record<string, string>, [number, string, string]][] = [
        [without("algorithm"), [400, "InvalidArgument", `${SSE_C} must provide a valid encryption algorithm.`]],
        [{ [`${prefix}key-md5`]: KEY_MD5 }, [400, "InvalidArgument", `${SSE_C} must provide a valid encryption algorithm.`]],
        [{ ...t, [`${prefix}algorithm`]: "AES128" }, [400, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256."]],
        [{ ...t, [`${prefix}algorithm`]: "aes256" }, [400, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256."]],
        [without("key"), [400, "InvalidArgument", `${SSE_C} must provide an appropriate secret key.`]],
        [{ [`${prefix}algorithm`]: "AES256" }, [400, "InvalidArgument", `${SSE_C} must provide an appropriate secret key.`]],
        [without("key-MD5"), [400, "InvalidArgument", `${SSE_C} must provide the client calculated MD5 of the secret key.`]],
        [{ ...t, [`${prefix}key-MD5`]: "AAAAAAAAAAAAAAAAAAAAAA==" }, [400, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided."]],
        [{ ...t, [`${prefix}key-MD5`]: "not base64" }, [400, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided."]],
        // A key of the wrong length whose MD5 matches, and one that is not base64 at all.
        [{ ...t, [`${prefix}key`]: short.toString("base64"), [`${prefix}key-MD5`]: md5(short) }, [400, "InvalidArgument", "The secret key was invalid for the specified algorithm."]],
        [{ ...t, [`${prefix}key`]: `${KEY_B64.slice(0, -2)}!=` }, [400, "InvalidArgument", "The secret key was invalid for the specified algorithm."]],
      ];
      for (const [headers, expected] of cases) expect(refusal(headers, opts), JSON.stringify(headers)).toEqual(expected);
    });
  }

  it("SSE-C with x-amz-server-side-encryption is refused before the trio is looked at; with a KMS key id too", () => {
    for (const method of ["AES256", "aws:kms", "bogus"]) {
      expect(refusal({ ...trio(), "x-amz-server-side-encryption-customer-algorithm": "AES128", "x-amz-server-side-encryption": method })).toEqual([
        400, "InvalidArgument", "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
      ]);
    }
    expect(refusal({ ...trio(), "x-amz-server-side-encryption-aws-kms-key-id": "k-1" })[1]).toBe("InvalidArgument");
  });

  it("refuses SSE-C over an insecure transport, for every kind; server-managed modes are not affected", () => {
    expect(refusal(trio(), { kind: "write", secure: false })).toEqual([400, "InvalidRequest", `${SSE_C} must be made over a secure connection.`]);
    expect(refusal(trio(), { kind: "read", secure: false })[1]).toBe("InvalidRequest");
    expect(refusal(trio("x-amz-copy-source-server-side-encryption-customer-"), { kind: "copy-source", secure: false })[1]).toBe("InvalidRequest");
    expect(parse(trio(), { kind: "write", secure: true })).toMatchObject({ mode: "SSE-C" });
    expect(parse({ "x-amz-server-side-encryption": "AES256" }, { kind: "write", secure: false })).toEqual({ mode: "AES256" });
  });
});

describe("parseSseRequest: reads", () => {
  it("x-amz-server-side-encryption on a GET, HEAD or UploadPart is a 400, whatever its value", () => {
    for (const method of ["AES256", "aws:kms", ""]) {
      expect(refusal({ "x-amz-server-side-encryption": method }, { kind: "read" })).toEqual([400, "InvalidArgument", "x-amz-server-side-encryption header is not supported for this operation."]);
    }
  });
});

describe("parseSseRequest: POST form fields", () => {
  it("serves a form's fields through the same getter (names lower-cased by the caller)", () => {
    const fields = new Map<string, string>([
      ["key", "uploads/${filename}"],
      ["x-amz-server-side-encryption", "aws:kms"],
      ["x-amz-server-side-encryption-aws-kms-key-id", "k-7"],
    ]);
    expect(parseSseRequest((n) => fields.get(n), { kind: "write" })).toEqual({ mode: "aws:kms", keyId: "k-7" });
    const sseC = new Map(Object.entries(trio()).map(([k, v]) => [k.toLowerCase(), v]));
    expect(parseSseRequest((n) => sseC.get(n), { kind: "write" })).toMatchObject({ mode: "SSE-C", keyMd5: KEY_MD5 });
    sseC.set("x-amz-server-side-encryption-customer-key-md5", md5(randomBytes(32)));
    expect(() => parseSseRequest((n) => sseC.get(n), { kind: "write" })).toThrow("did not match");
  });
});
