import { describe, expect, it } from "vitest";
import { HttpRequest } from "@smithy/protocol-http";
import { presignUrl, verifySigV4, type IncomingS3Request } from "../src/index.ts";
import { AWS_EXAMPLE, CREDS, NOW, encodeKey, sdkSigner } from "./sigv4-support.ts";

const code = (p: Promise<unknown>) => p.then(() => "accepted", (e: { code?: string; message: string }) => e.code);

/** What a server sees when something fetches `url`. */
function fetched(url: string, method = "GET", headers: Record<string, string> = {}): IncomingS3Request {
  const u = new URL(url);
  return { method, rawPath: u.pathname, rawQuery: u.search.slice(1), headers: { host: u.host, ...headers } };
}

/** What @aws-sdk/s3-request-presigner does: sign UNSIGNED-PAYLOAD, hoist x-amz-* headers into the query. */
async function sdkPresigned(key: string, opts: { expiresIn?: number; at?: Date; headers?: Record<string, string>; query?: Record<string, string> } = {}) {
  const request = new HttpRequest({
    method: "GET", protocol: "https:", hostname: "s3.example.test", path: `/${encodeKey(key)}`, query: opts.query ?? {},
    headers: { host: "s3.example.test", "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...opts.headers },
  });
  const signed = await sdkSigner().presign(request, {
    signingDate: opts.at ?? NOW, expiresIn: opts.expiresIn ?? 900, unsignableHeaders: new Set(["content-type"]),
  });
  const query = Object.entries(signed.query ?? {}).map(([k, v]) => `${encodeKey(k)}=${encodeKey(String(v)).replaceAll("/", "%2F")}`).join("&");
  return { url: `https://s3.example.test${signed.path}?${query}`, headers: signed.headers as Record<string, string> };
}

describe("presigned URLs", () => {
  it("accepts AWS's documented presigned GET example (signature aeeed9…)", async () => {
    const url = "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    const verified = await verifySigV4(fetched(url), AWS_EXAMPLE, new Date("2013-05-24T12:00:00Z"));
    expect(verified).toMatchObject({ kind: "presigned", payloadHash: "UNSIGNED-PAYLOAD", payloadMode: "plain", region: "us-east-1" });
    expect(verified.expiresAt?.toISOString()).toBe("2013-05-25T00:00:00.000Z");
    expect(await code(verifySigV4(fetched(url.replace("test.txt", "test2.txt")), AWS_EXAMPLE, new Date("2013-05-24T12:00:00Z"))))
      .toBe("SignatureDoesNotMatch");
  });

  it("accepts URLs made by the SDK presigner, including signed headers the client must send", async () => {
    const plain = await sdkPresigned("bucket/photos/my photo+1 ü.jpg");
    expect(await code(verifySigV4(fetched(plain.url), CREDS, NOW))).toBe("accepted");
    const withHeader = await sdkPresigned("bucket/k", { headers: { "x-amz-server-side-encryption": "AES256" }, query: { "response-content-type": "text/plain" } });
    expect(await code(verifySigV4(fetched(withHeader.url, "GET", { "x-amz-server-side-encryption": "AES256" }), CREDS, NOW))).toBe("accepted");
    // A hoisted header sent with another value, or an x-amz-* header the URL never covered, is not what was signed.
    expect(await code(verifySigV4(fetched(withHeader.url, "GET", { "x-amz-server-side-encryption": "aws:kms" }), CREDS, NOW))).toBe("AccessDenied");
    expect(await code(verifySigV4(fetched(plain.url, "GET", { "x-amz-copy-source": "other/secret" }), CREDS, NOW))).toBe("AccessDenied");
  });

  it("refuses an expired URL with AccessDenied naming the expiry", async () => {
    const { url } = await sdkPresigned("bucket/k", { expiresIn: 300 });
    expect(await code(verifySigV4(fetched(url), CREDS, new Date(NOW.getTime() + 300_000)))).toBe("accepted");
    const late = await verifySigV4(fetched(url), CREDS, new Date(NOW.getTime() + 301_000)).catch((e: Error & { code: string; status: number }) => e);
    expect(late).toMatchObject({ code: "AccessDenied", status: 403 });
    expect((late as Error).message).toContain("Request has expired");
    expect((late as Error).message).toContain("2026-03-01T12:05:00.000Z");
  });

  it("refuses a URL dated more than 15 minutes in the future", async () => {
    const { url } = await sdkPresigned("bucket/k", { at: new Date(NOW.getTime() + 20 * 60_000) });
    expect(await code(verifySigV4(fetched(url), CREDS, NOW))).toBe("AccessDenied");
  });

  it("refuses tampered URLs: path, expiry, extra parameter, method, signature, wrong secret", async () => {
    const { url } = await sdkPresigned("bucket/k", { expiresIn: 60 });
    const cases: [string, IncomingS3Request][] = [
      ["path", fetched(url.replace("/bucket/k", "/bucket/j"))],
      ["expiry", fetched(url.replace("X-Amz-Expires=60", "X-Amz-Expires=600"))],
      ["extra", fetched(`${url}&versionId=2`)],
      ["method", fetched(url, "PUT")],
      ["signature", fetched(url.replace(/X-Amz-Signature=(.)/, (_, c: string) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`))],
    ];
    for (const [what, req] of cases) expect(await code(verifySigV4(req, CREDS, NOW)), what).toBe("SignatureDoesNotMatch");
    expect(await code(verifySigV4(fetched(url), { ...CREDS, secretAccessKey: "wrong" }, NOW))).toBe("SignatureDoesNotMatch");
  });

  it("refuses malformed query authentication", async () => {
    const { url } = await sdkPresigned("bucket/k");
    expect(await code(verifySigV4(fetched(url.replace(/&X-Amz-Date=[^&]*/, "")), CREDS, NOW))).toBe("AuthorizationQueryParametersError");
    expect(await code(verifySigV4(fetched(url.replace("X-Amz-Expires=900", "X-Amz-Expires=604801")), CREDS, NOW))).toBe("AuthorizationQueryParametersError");
    expect(await code(verifySigV4(fetched(url.replace("%2Fs3%2F", "%2Fiam%2F")), CREDS, NOW))).toBe("AuthorizationQueryParametersError");
    const both = fetched(url, "GET", { authorization: "AWS4-HMAC-SHA256 Credential=x" });
    expect(await code(verifySigV4(both, CREDS, NOW))).toBe("InvalidArgument");
  });
});

describe("presignUrl", () => {
  const opts = { protocol: "https:" as const, host: "s3.gateway.example:8443", credentials: CREDS, region: "eu-central-1", expiresInSeconds: 300, now: NOW };

  it("issues URLs that verify, for GET and PUT, with awkward keys", async () => {
    for (const method of ["GET", "PUT"] as const) {
      const url = await presignUrl({ ...opts, method, rawPath: `/s3/${encodeKey("bucket/a b/ключ+1.txt")}` });
      expect(url.startsWith("https://s3.gateway.example:8443/s3/bucket/a%20b/%D0%BA%D0%BB%D1%8E%D1%87%2B1.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&")).toBe(true);
      expect(url).toContain("X-Amz-Expires=300");
      const verified = await verifySigV4(fetched(url, method), CREDS, new Date(NOW.getTime() + 299_000));
      expect(verified).toMatchObject({ kind: "presigned", region: "eu-central-1", accessKeyId: CREDS.accessKeyId });
      expect(await code(verifySigV4(fetched(url, method === "GET" ? "PUT" : "GET"), CREDS, NOW))).toBe("SignatureDoesNotMatch");
    }
  });

  it("reproduces AWS's documented presigned example", async () => {
    const url = await presignUrl({
      method: "GET", protocol: "https:", host: "examplebucket.s3.amazonaws.com", rawPath: "/test.txt",
      credentials: AWS_EXAMPLE, region: "us-east-1", expiresInSeconds: 86400, now: new Date("2013-05-24T00:00:00Z"),
    });
    expect(url).toBe("https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  });

  it("refuses expiries outside S3's one second to seven days", async () => {
    await expect(presignUrl({ ...opts, method: "GET", rawPath: "/b/k", expiresInSeconds: 0 })).rejects.toMatchObject({ code: "InvalidArgument" });
    await expect(presignUrl({ ...opts, method: "GET", rawPath: "/b/k", expiresInSeconds: 604801 })).rejects.toMatchObject({ code: "InvalidArgument" });
  });
});
