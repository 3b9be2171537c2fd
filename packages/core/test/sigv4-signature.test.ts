// The gateway computes SigV4 signatures itself (src/sigv4/signature.ts). smithy's SignatureV4,
// the signer @aws-sdk/client-s3 uses, is the oracle: requests it signs — header-signed and
// presigned, with awkward keys, repeated and empty query parameters, whitespace in header values
// — must verify, and any change to what was signed must not.
import { randomBytes } from "node:crypto";
import { HttpRequest } from "@smithy/protocol-http";
import { describe, expect, it } from "vitest";
import { verifySigV4 } from "../src/index.ts";
import { CREDS, encodeKey, incoming, NOW, sdkSigner } from "./sigv4-support.ts";

const KEY_PIECES = ["a", "Ä", "日本", " ", "+", "=", "&", "%", "~", "!", "'", "(", ")", "*", "-", "_", ".", "..", "é/x", "😀", "?", "#", "[", "]", "@", ":"];
const QUERY_NAMES = ["prefix", "delimiter", "max-keys", "uploads", "partNumber", "uploadId", "x-id", "response-content-type", "tagging", "list-type", "a b", "ü"];

/** A deterministic generator, so a failure names its case and reproduces. */
function generator(seed: number) {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  return { next, pick };
}

function randomCase(seed: number) {
  const g = generator(seed);
  const key = `bucket/${Array.from({ length: 1 + Math.floor(g.next() * 5) }, () => g.pick(KEY_PIECES)).join("")}`;
  const query: Record<string, string> = {};
  for (let i = Math.floor(g.next() * 4); i > 0; i--) query[g.pick(QUERY_NAMES)] = g.next() < 0.3 ? "" : Array.from({ length: 3 }, () => g.pick(KEY_PIECES)).join("");
  const headers: Record<string, string> = {};
  if (g.next() < 0.5) headers["x-amz-meta-note"] = `  two  spaces\tand a tab  `;
  if (g.next() < 0.5) headers["content-type"] = g.pick(["text/plain", "application/octet-stream", "image/png; q=0.5"]);
  if (g.next() < 0.3) headers["x-amz-tagging"] = "a=b&c=d";
  const method = g.pick(["GET", "PUT", "HEAD", "DELETE", "POST"]);
  return { key, query, headers, method };
}

async function headerSigned(c: ReturnType<typeof randomCase>) {
  const rawPath = `/${encodeKey(c.key)}`;
  const headers = { host: "127.0.0.1:9000", "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...c.headers };
  const signed = await sdkSigner().sign(new HttpRequest({ method: c.method, hostname: "127.0.0.1", port: 9000, path: rawPath, query: c.query, headers }), { signingDate: NOW });
  return incoming(signed.method, rawPath, c.query, signed.headers);
}

async function presigned(c: ReturnType<typeof randomCase>) {
  const rawPath = `/${encodeKey(c.key)}`;
  // As @aws-sdk/s3-request-presigner does: the payload is UNSIGNED-PAYLOAD, a header that is not itself signed.
  const headers = { host: "127.0.0.1:9000", "x-amz-content-sha256": "UNSIGNED-PAYLOAD", ...c.headers };
  const signed = await sdkSigner().presign(
    new HttpRequest({ method: c.method, hostname: "127.0.0.1", port: 9000, path: rawPath, query: c.query, headers }),
    { signingDate: NOW, expiresIn: 900, unsignableHeaders: new Set(["x-amz-content-sha256"]), unhoistableHeaders: new Set([...Object.keys(c.headers), "x-amz-content-sha256"]) },
  );
  const { "x-amz-content-sha256": _unsent, ...sent } = signed.headers;
  return incoming(signed.method, rawPath, signed.query as Record<string, string>, sent);
}

describe.each([["header-signed", headerSigned], ["presigned", presigned]] as const)("%s requests signed by smithy", (_kind, sign) => {
  it("200 random requests verify", async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const c = randomCase(seed);
      const req = await sign(c);
      await expect(verifySigV4(req, CREDS, NOW), `case ${seed}: ${JSON.stringify(c)}`).resolves.toMatchObject({ accessKeyId: CREDS.accessKeyId });
    }
  });

  it("a changed method, path, query value, signed header or secret is SignatureDoesNotMatch", async () => {
    for (let seed = 201; seed <= 240; seed++) {
      const c = randomCase(seed);
      const req = await sign({ ...c, headers: { ...c.headers, "x-amz-meta-pin": "v1" } });
      const tampered = [
        { ...req, method: req.method === "GET" ? "PUT" : "GET" },
        { ...req, rawPath: `${req.rawPath}x` },
        { ...req, rawQuery: `${req.rawQuery}${req.rawQuery ? "&" : ""}extra=1` },
        { ...req, headers: { ...req.headers, "x-amz-meta-pin": "v2" } },
        { ...req, headers: { ...req.headers, host: "127.0.0.2:9000" } },
      ];
      for (const t of tampered) {
        await expect(verifySigV4(t, CREDS, NOW).catch((e: { code?: string }) => e.code), `case ${seed}`).resolves.toBe("SignatureDoesNotMatch");
      }
      await expect(verifySigV4(req, { ...CREDS, secretAccessKey: randomBytes(20).toString("base64") }, NOW).catch((e: { code?: string }) => e.code)).resolves.toBe("SignatureDoesNotMatch");
    }
  });
});

describe("SigningKeyMemo", () => {
  it("derives what signingKey derives, once per day and region, and never for another secret", async () => {
    const { SigningKeyMemo } = await import("../src/index.ts");
    const { signingKey } = await import("../src/sigv4/signature.ts");
    const memo = new SigningKeyMemo(CREDS.secretAccessKey);
    const first = memo.derive(CREDS.secretAccessKey, "20260301", "us-east-1");
    expect(first.export().equals(signingKey(CREDS.secretAccessKey, "20260301", "us-east-1"))).toBe(true);
    expect(memo.derive(CREDS.secretAccessKey, "20260301", "us-east-1")).toBe(first); // kept, not derived again
    expect(memo.derive(CREDS.secretAccessKey, "20260302", "us-east-1").export().equals(first.export())).toBe(false);
    // A different secret handed to this memo gets its own key, never the memo's.
    expect(memo.derive("another secret", "20260301", "us-east-1").export().equals(signingKey("another secret", "20260301", "us-east-1"))).toBe(true);
    // Bounded: many days and regions do not grow it without end, and results stay right.
    for (let d = 10; d < 40; d++) memo.derive(CREDS.secretAccessKey, `202603${d}`, "eu-north-1");
    expect(memo.derive(CREDS.secretAccessKey, "20260301", "us-east-1").export().equals(first.export())).toBe(true);
  });

  it("requests verify the same with and without it; a wrong secret still fails with it", async () => {
    const { SigningKeyMemo } = await import("../src/index.ts");
    const memo = new SigningKeyMemo(CREDS.secretAccessKey);
    for (let seed = 300; seed < 320; seed++) {
      const req = await headerSigned(randomCase(seed));
      await expect(verifySigV4(req, { ...CREDS, signingKeys: memo }, NOW)).resolves.toMatchObject({ accessKeyId: CREDS.accessKeyId });
      await expect(verifySigV4(req, { ...CREDS, secretAccessKey: "wrong", signingKeys: memo }, NOW).catch((e: { code?: string }) => e.code)).resolves.toBe("SignatureDoesNotMatch");
    }
  });
});
