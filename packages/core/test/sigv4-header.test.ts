import { describe, expect, it } from "vitest";
import { payloadHashCheck, sigv4AccessKeyId, verifySigV4 } from "../src/index.ts";
import { AWS_EXAMPLE, CREDS, NOW, encodeKey, incoming, run, runFailing, sha256hex, signedRequest } from "./sigv4-support.ts";

const code = (p: Promise<unknown>) => p.then(() => "accepted", (e: { code?: string }) => e.code);

describe("header authentication", () => {
  it("accepts AWS's documented GET example (signature f0e8bd…)", async () => {
    const req = incoming("GET", "/test.txt", {}, {
      host: "examplebucket.s3.amazonaws.com",
      range: "bytes=0-9",
      "x-amz-content-sha256": sha256hex(""),
      "x-amz-date": "20130524T000000Z",
      authorization: "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    });
    const verified = await verifySigV4(req, AWS_EXAMPLE, new Date("2013-05-24T00:10:00Z"));
    expect(verified).toMatchObject({ accessKeyId: "AKIAIOSFODNN7EXAMPLE", kind: "header", region: "us-east-1", payloadMode: "plain" });
    expect(verified.signingDate.toISOString()).toBe("2013-05-24T00:00:00.000Z");
    req.headers["range"] = "bytes=0-10";
    expect(await code(verifySigV4(req, AWS_EXAMPLE, new Date("2013-05-24T00:10:00Z")))).toBe("SignatureDoesNotMatch");
  });

  it("accepts an SDK-signed request with a signed payload and with UNSIGNED-PAYLOAD", async () => {
    const body = Buffer.from("hello world");
    const signed = await verifySigV4(await signedRequest({ payloadHash: sha256hex(body) }), CREDS, NOW);
    expect(signed).toMatchObject({ payloadHash: sha256hex(body), payloadMode: "plain", region: "us-east-1" });
    expect((await run(payloadHashCheck(signed), body)).equals(body)).toBe(true);
    const unsigned = await verifySigV4(await signedRequest({ payloadHash: "UNSIGNED-PAYLOAD" }), CREDS, NOW);
    expect(unsigned.payloadHash).toBe("UNSIGNED-PAYLOAD");
    expect((await run(payloadHashCheck(unsigned), body)).equals(body)).toBe(true);
  });

  it("refuses a body that is not the one whose hash was signed", async () => {
    const verified = await verifySigV4(await signedRequest({ payloadHash: sha256hex("hello world") }), CREDS, NOW);
    const { error } = await runFailing(payloadHashCheck(verified), Buffer.from("hello wOrld"));
    expect(error.code).toBe("XAmzContentSHA256Mismatch");
  });

  it("refuses a wrong secret and a key id that is not the one looked up", async () => {
    const req = await signedRequest();
    expect(await code(verifySigV4(req, { ...CREDS, secretAccessKey: "not-the-secret" }, NOW))).toBe("SignatureDoesNotMatch");
    expect(await code(verifySigV4(req, { ...CREDS, accessKeyId: "AKIDOTHER" }, NOW))).toBe("InvalidAccessKeyId");
  });

  it("refuses a tampered signed header, path, query, method or payload hash", async () => {
    const opts = { headers: { "x-amz-meta-colour": "blue" }, query: { partNumber: "1", uploadId: "abc" }, payloadHash: sha256hex("x") };
    const tamperings: ((r: Awaited<ReturnType<typeof signedRequest>>) => void)[] = [
      (r) => { r.headers["x-amz-meta-colour"] = "red"; },
      (r) => { r.rawPath = r.rawPath.replace("key.txt", "other.txt"); },
      (r) => { r.rawQuery = r.rawQuery.replace("partNumber=1", "partNumber=2"); },
      (r) => { r.rawQuery += "&versionId=1"; },
      (r) => { r.method = "DELETE"; },
      (r) => { r.headers["x-amz-content-sha256"] = sha256hex("y"); },
      (r) => { r.headers["host"] = "evil.example.test:9000"; },
      (r) => { r.headers["authorization"] = r.headers["authorization"]!.replace(/Signature=./, "Signature=0"); },
    ];
    expect(await code(verifySigV4(await signedRequest(opts), CREDS, NOW))).toBe("accepted");
    for (const tamper of tamperings) {
      const req = await signedRequest(opts);
      tamper(req);
      expect(await code(verifySigV4(req, CREDS, NOW))).toBe("SignatureDoesNotMatch");
    }
  });

  it("ignores headers the client did not sign", async () => {
    const req = await signedRequest();
    req.headers["user-agent"] = "changed on the way";
    req.headers["x-forwarded-for"] = "10.0.0.1";
    await expect(verifySigV4(req, CREDS, NOW)).resolves.toMatchObject({ kind: "header" });
  });

  it("refuses requests signed more than 15 minutes away from the server clock", async () => {
    const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
    expect(await code(verifySigV4(await signedRequest({ at: at(-14) }), CREDS, NOW))).toBe("accepted");
    expect(await code(verifySigV4(await signedRequest({ at: at(14) }), CREDS, NOW))).toBe("accepted");
    expect(await code(verifySigV4(await signedRequest({ at: at(-16) }), CREDS, NOW))).toBe("RequestTimeTooSkewed");
    expect(await code(verifySigV4(await signedRequest({ at: at(16) }), CREDS, NOW))).toBe("RequestTimeTooSkewed");
  });

  it("verifies keys with spaces, unicode, '+' and reserved characters, as S3 signs them (encoded once)", async () => {
    for (const key of ["bucket/my key.txt", "bucket/ключ/日本語 ファイル.txt", "bucket/a+b=c&d", "bucket/dir//x/./y/../z", "bucket/it's (1)!*~.txt"]) {
      const req = await signedRequest({ key });
      expect(await code(verifySigV4(req, CREDS, NOW)), key).toBe("accepted");
    }
    // A client that leaves '+' or '~' unescaped on the wire signed the same canonical path.
    const plus = await signedRequest({ key: "bucket/a+b~c" });
    plus.rawPath = "/bucket/a+b%7Ec";
    expect(await code(verifySigV4(plus, CREDS, NOW))).toBe("accepted");
    const spaced = await signedRequest({ key: "bucket/a b" });
    spaced.rawPath = "/bucket/a+b"; // '+' in a path is a plus, not a space
    expect(await code(verifySigV4(spaced, CREDS, NOW))).toBe("SignatureDoesNotMatch");
    const broken = await signedRequest();
    broken.rawPath = "/bucket/%zz";
    expect(await code(verifySigV4(broken, CREDS, NOW))).toBe("InvalidURI");
  });

  it("verifies the gateway's /s3/ prefix as part of the signed path", async () => {
    const req = await signedRequest({ key: "s3/bucket/my key" });
    expect(req.rawPath).toBe("/s3/bucket/my%20key");
    expect(await code(verifySigV4(req, CREDS, NOW))).toBe("accepted");
  });

  it("treats ?uploads, ?acl= and repeated or encoded query parameters as S3 does", async () => {
    const req = await signedRequest({ method: "POST", query: { uploads: "" } });
    expect(req.rawQuery).toBe("uploads=");
    for (const raw of ["uploads", "uploads="]) {
      expect(await code(verifySigV4({ ...req, rawQuery: raw }, CREDS, NOW)), raw).toBe("accepted");
    }
    const acl = await signedRequest({ method: "GET", query: { acl: "" } });
    expect(await code(verifySigV4({ ...acl, rawQuery: "acl" }, CREDS, NOW))).toBe("accepted");
    const list = await signedRequest({ method: "GET", key: "bucket", query: { prefix: "a b/ü+", delimiter: "/", "list-type": "2" } });
    expect(await code(verifySigV4(list, CREDS, NOW))).toBe("accepted");
    expect(await code(verifySigV4({ ...list, rawQuery: list.rawQuery.split("&").reverse().join("&") }, CREDS, NOW))).toBe("accepted");
  });
});

describe("parsing credentials", () => {
  it("finds the access key id of header and presigned requests, and nothing on anonymous ones", async () => {
    expect(sigv4AccessKeyId(await signedRequest())).toEqual({ accessKeyId: CREDS.accessKeyId, kind: "header" });
    expect(sigv4AccessKeyId({ headers: {}, rawQuery: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID1%2F20260301%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20260301T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "a".repeat(64) }))
      .toEqual({ accessKeyId: "AKID1", kind: "presigned" });
    expect(sigv4AccessKeyId({ headers: { host: "x" }, rawQuery: "uploads" })).toBeUndefined();
  });

  it("refuses malformed or unsupported authorization", async () => {
    const req = await signedRequest();
    const auth = req.headers["authorization"]!;
    const parse = (authorization: string, extra: Record<string, string> = {}) => {
      try {
        sigv4AccessKeyId({ headers: { ...req.headers, authorization, ...extra }, rawQuery: "" });
        return "accepted";
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(parse(auth)).toBe("accepted");
    expect(parse(auth.replace("/s3/", "/ec2/"))).toBe("AuthorizationHeaderMalformed");
    expect(parse(auth.replace(/SignedHeaders=[^,]*,/, ""))).toBe("AuthorizationHeaderMalformed");
    expect(parse(auth.replace("SignedHeaders=host;", "SignedHeaders="))).toBe("AuthorizationHeaderMalformed");
    expect(parse(auth.replace(/Signature=\w+/, "Signature=xyz"))).toBe("AuthorizationHeaderMalformed");
    expect(parse(auth, { "x-amz-date": "2026-03-01T12:00:00Z" })).toBe("AuthorizationHeaderMalformed");
    expect(parse(auth, { "x-amz-date": "20260302T120000Z" })).toBe("AuthorizationHeaderMalformed");
    expect(parse("AWS AKIDGATEWAYTEST0001:c2lnbmF0dXJl")).toBe("InvalidRequest");
    expect(parse(auth.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"))).toBe("InvalidRequest");
    // Present but blank: refused as AWS does, never read as "no credentials" (anonymous).
    expect(parse("")).toBe("AccessDenied");
    expect(parse(" \t ")).toBe("AccessDenied");
    expect(parse("AWS4-HMAC-SHA256")).toBe("AuthorizationHeaderMalformed");
    expect(parse("AWS4-HMAC-SHA256 ")).toBe("AuthorizationHeaderMalformed");
  });

  it("insists on x-amz-content-sha256 and rejects values S3 does not know", async () => {
    const req = await signedRequest();
    delete req.headers["x-amz-content-sha256"];
    expect(await code(verifySigV4(req, CREDS, NOW))).toBe("InvalidRequest");
    const odd = await signedRequest({ payloadHash: "not-a-hash" });
    expect(await code(verifySigV4(odd, CREDS, NOW))).toBe("InvalidArgument");
    expect(encodeKey("a b/c")).toBe("a%20b/c");
  });
});
