import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../../apps/regional-gateway/test/harness.ts";
import type { Credentials } from "../support/s3-clients.ts";
import { onboard, startStack, type TestStack } from "../support/stack.ts";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { rawSigned, send, sha256hex } from "./signing.ts";

// The SigV4 edge of both layers, tried as an attacker would: keys that look like paths,
// headers added after signing, bodies swapped after signing, keys limited to one bucket.
let stack: TestStack;
let full: Credentials;
const layers = () => ({ region: stack.regions["FI-HEL"].url, global: stack.global.url });

async function accessKey(body: Record<string, unknown>): Promise<Credentials> {
  const res = await fetch(`${stack.regions["FI-HEL"].url}/api/customers/edge-co/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`access key: ${res.status} ${await res.text()}`);
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  return { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
}

beforeAll(async () => {
  stack = await startStack();
  await onboard(stack, "edge-co", "FI-HEL", { customer_name: "Edge Co", country: "FI", data_residency_requirement: "strict" });
  full = await accessKey({ description: "full" });
  for (const bucket of ["lit", "lit2"]) expect((await rawSigned(stack.global.url, { method: "PUT", path: `/${bucket}`, creds: full })).status).toBe(200);
}, 120_000);
afterAll(() => stack?.close());

const put = (base: string, path: string, body: string, creds = full) => rawSigned(base, { method: "PUT", path, creds, body });
const get = (base: string, path: string, creds = full) => rawSigned(base, { method: "GET", path, creds });

describe.each(["region", "global"] as const)("object keys are literal (%s)", (layer) => {
  it("a dot-segment key never reaches another key, bucket or route", async () => {
    const base = layers()[layer];
    const k = `${layer}-victim.txt`;
    expect((await put(base, `/lit/${k}`, "original")).status).toBe(200);
    expect((await put(base, `/lit/uploads/../${k}`, "evil")).status).toBe(200);
    expect((await get(base, `/lit/${k}`)).text).toBe("original");
    expect((await get(base, `/lit/uploads/../${k}`)).text).toBe("evil");
    // Percent-encoded dots are the same literal key once decoded (signed as AWS canonicalises: `..`).
    expect((await rawSigned(base, { method: "GET", path: `/lit/uploads/%2E%2E/${k}`, signPath: `/lit/uploads/../${k}`, creds: full })).text).toBe("evil");

    expect((await put(base, `/lit/${k}.2`, "keep me")).status).toBe(200);
    expect((await rawSigned(base, { method: "DELETE", path: `/lit/tmp/../${k}.2`, creds: full })).status).toBe(204);
    expect((await get(base, `/lit/${k}.2`)).text).toBe("keep me");

    // On S3 this is the key "../evil.txt" of bucket "lit", never a bucket named evil.txt.
    expect((await put(base, `/lit/../${layer}-evil.txt`, "x")).status).toBe(200);
    const buckets = await get(base, "/");
    expect(buckets.text).not.toContain(`${layer}-evil.txt`);
    const listed = await get(base, "/lit?list-type=2&prefix=..%2F");
    expect(listed.text).toContain(`<Key>../${layer}-evil.txt</Key>`);

    // A path that normalises to a management route is still S3: an S3 XML answer, not the profile.
    const sneaky = await get(base, "/lit/../api/customers/edge-co/info");
    expect(sneaky.status).toBe(404);
    expect(sneaky.text).toContain("<Code>NoSuchKey</Code>");
  });

  it("refuses keys and query values that cannot be stored exactly", async () => {
    const base = layers()[layer];
    for (const path of ["/lit/a%00b", "/lit/%ED%A0%80x", "/lit/%FFbad"]) {
      const res = await put(base, path, "x");
      expect(res.status, path).toBe(400);
    }
    for (const q of ["prefix=%00", "prefix=%FF", "continuation-token=%ED%A0%80", "start-after=a%00"]) {
      const res = await get(base, `/lit?list-type=2&${q}`);
      expect(res.status, q).toBe(400);
    }
  });
});

describe("every x-amz-* header must be signed", () => {
  it("an unsigned x-amz-copy-source added to a presigned PUT is refused, nothing copied", async () => {
    expect((await put(stack.global.url, "/lit/secret.txt", "secret")).status).toBe(200);
    const sdk = new S3Client({ endpoint: stack.global.url, region: "us-east-1", forcePathStyle: true, credentials: full });
    const url = new URL(await getSignedUrl(sdk, new PutObjectCommand({ Bucket: "lit", Key: "presigned.txt" }), { expiresIn: 300 }));
    const res = await send(url, "PUT", `${url.pathname}${url.search}`, { host: url.host, "x-amz-copy-source": "/lit/secret.txt", "content-length": "0" }, Buffer.alloc(0));
    expect(res.status).toBe(403);
    expect(res.text).toContain("<Code>AccessDenied</Code>");
    expect(res.text).toContain("x-amz-copy-source");
    expect((await get(stack.global.url, "/lit/presigned.txt")).status).toBe(404);
  });

  it("unsigned x-amz-meta-* and bypass headers are refused on header-signed requests", async () => {
    for (const extra of [{ "x-amz-meta-owner": "mallory" }, { "x-amz-bypass-governance-retention": "true" }] as Record<string, string>[]) {
      const res = await rawSigned(stack.global.url, { method: "PUT", path: "/lit/meta.txt", creds: full, body: "x", extraHeaders: extra });
      expect(res.status).toBe(403);
    }
    expect((await get(stack.global.url, "/lit/meta.txt")).status).toBe(404);
  });

  it.each(["region", "global"] as const)("non-ASCII metadata works whether sent as latin1 or UTF-8 bytes (%s)", async (layer) => {
    const base = layers()[layer];
    // node:http puts "ä" on the wire as one latin1 byte, as Python's http.client does.
    const latin = await rawSigned(base, { method: "PUT", path: `/lit/${layer}-meta1`, creds: full, body: "x", headers: { "x-amz-meta-city": "Jyväskylä" } });
    expect(latin.status).toBe(200);
    // curl and others send the UTF-8 bytes of what was signed.
    const city = "Tōkyō 東京";
    const utf8 = await rawSigned(base, { method: "PUT", path: `/lit/${layer}-meta2`, creds: full, body: "x", headers: { "x-amz-meta-city": city }, extraHeaders: { "x-amz-meta-city": Buffer.from(city, "utf8").toString("latin1") } });
    expect(utf8.status).toBe(200);
    const decode = (v: unknown) => Buffer.from(/^=\?UTF-8\?B\?(.*)\?=$/.exec(String(v))![1]!, "base64").toString("utf8");
    expect(decode((await rawSigned(base, { method: "HEAD", path: `/lit/${layer}-meta1`, creds: full })).headers["x-amz-meta-city"])).toBe("Jyväskylä");
    expect(decode((await rawSigned(base, { method: "HEAD", path: `/lit/${layer}-meta2`, creds: full })).headers["x-amz-meta-city"])).toBe(city);
  });
});

describe("every body is covered by the payload hash", () => {
  const retention = (mode: string) => `<Retention><Mode>${mode}</Mode><RetainUntilDate>2099-01-01T00:00:00Z</RetainUntilDate></Retention>`;
  const cases: { name: string; method: string; path: string; body: string; swapped: string; unchanged: () => Promise<void> }[] = [
    {
      // Retention and legal hold exist only in a bucket with object lock (lit-lock).
      name: "PutObjectRetention", method: "PUT", path: "/lit-lock/body-target?retention", body: retention("GOVERNANCE").replace("2099", "2000"), swapped: retention("COMPLIANCE"),
      unchanged: async () => expect((await get(stack.global.url, "/lit-lock/body-target?retention")).status).toBe(404),
    },
    {
      name: "PutObjectLegalHold", method: "PUT", path: "/lit-lock/body-target?legal-hold", body: "<LegalHold><Status>OFF</Status></LegalHold>", swapped: "<LegalHold><Status>ON</Status> </LegalHold>",
      unchanged: async () => expect((await get(stack.global.url, "/lit-lock/body-target?legal-hold")).status).toBe(404),
    },
    {
      name: "PutObjectTagging", method: "PUT", path: "/lit/body-target?tagging", body: "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>", swapped: "<Tagging><TagSet><Tag><Key>b</Key><Value>2</Value></Tag></TagSet></Tagging>",
      unchanged: async () => expect((await get(stack.global.url, "/lit/body-target?tagging")).text).not.toContain("<Key>b</Key>"),
    },
    {
      name: "DeleteObjects", method: "POST", path: "/lit?delete", body: "<Delete><Object><Key>nothing-aaaaa</Key></Object></Delete>", swapped: "<Delete><Object><Key>body-target.k</Key></Object></Delete>",
      unchanged: async () => expect((await get(stack.global.url, "/lit/body-target.k")).status).toBe(200),
    },
    {
      name: "PutBucketLifecycleConfiguration", method: "PUT", path: "/lit?lifecycle", body: "<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>zzzz/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule></LifecycleConfiguration>",
      swapped: "<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>      </LifecycleConfiguration>",
      unchanged: async () => expect((await get(stack.global.url, "/lit?lifecycle")).status).toBe(404),
    },
    {
      name: "PutObject", method: "PUT", path: "/lit/body-put", body: "good bytes", swapped: "evil bytes",
      unchanged: async () => expect((await get(stack.global.url, "/lit/body-put")).status).toBe(404),
    },
    {
      name: "CreateBucket", method: "PUT", path: "/body-bucket", body: "<CreateBucketConfiguration><LocationConstraint>eu-north-1</LocationConstraint></CreateBucketConfiguration>", swapped: "<CreateBucketConfiguration><LocationConstraint>us-east-2!</LocationConstraint></CreateBucketConfiguration>".replace("!", "0"),
      unchanged: async () => expect((await rawSigned(stack.global.url, { method: "HEAD", path: "/body-bucket", creds: full })).status).toBe(404),
    },
  ];

  beforeAll(async () => {
    expect((await put(stack.global.url, "/lit/body-target", "t")).status).toBe(200);
    expect((await put(stack.global.url, "/lit/body-target.k", "k")).status).toBe(200);
    expect((await rawSigned(stack.global.url, { method: "PUT", path: "/lit-lock", creds: full, headers: { "x-amz-bucket-object-lock-enabled": "true" } })).status).toBe(200);
    expect((await put(stack.global.url, "/lit-lock/body-target", "t")).status).toBe(200);
  });

  it.each(cases)("$name: a body swapped after signing is refused and changes nothing", async (c) => {
    expect(c.swapped.length).toBe(c.body.length);
    const res = await rawSigned(stack.global.url, { method: c.method, path: c.path, creds: full, body: c.body, sentBody: c.swapped });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/XAmzContentSHA256Mismatch|BadDigest/);
    await c.unchanged();
  });

  it("UploadPart and CompleteMultipartUpload bodies are checked too", async () => {
    const created = await rawSigned(stack.global.url, { method: "POST", path: "/lit/mp?uploads", creds: full });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)![1]!;
    const part = await rawSigned(stack.global.url, { method: "PUT", path: `/lit/mp?partNumber=1&uploadId=${uploadId}`, creds: full, body: "aaaa", sentBody: "bbbb" });
    expect(part.status).toBe(400);
    const good = await rawSigned(stack.global.url, { method: "PUT", path: `/lit/mp?partNumber=1&uploadId=${uploadId}`, creds: full, body: "aaaa" });
    expect(good.status).toBe(200);
    const etag = String(good.headers.etag);
    const doc = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
    const bad = await rawSigned(stack.global.url, { method: "POST", path: `/lit/mp?uploadId=${uploadId}`, creds: full, body: doc, sentBody: doc.replace("<PartNumber>1", "<PartNumber>2") });
    expect(bad.status).toBe(400);
    expect((await get(stack.global.url, "/lit/mp")).status).toBe(404);
  });

  it("a body over the operation's limit is refused", async () => {
    const big = `<Retention>${" ".repeat(20_000)}</Retention>`;
    const res = await rawSigned(stack.global.url, { method: "PUT", path: "/lit-lock/body-target?retention", creds: full, body: big });
    expect(res.status).toBe(400);
    expect(res.text).toContain("MalformedXML");
    expect(sha256hex(big)).toHaveLength(64);
  });
});

describe("a key's limits apply to every bucket an operation touches", () => {
  it("a key limited to one bucket cannot copy from another, by CopyObject or UploadPartCopy", async () => {
    const limited = await accessKey({ description: "lit2 only", allowed_buckets: ["lit2"] });
    expect((await put(stack.global.url, "/lit/only-lit.txt", "private to lit")).status).toBe(200);
    const copy = await rawSigned(stack.global.url, { method: "PUT", path: "/lit2/stolen.txt", creds: limited, headers: { "x-amz-copy-source": "/lit/only-lit.txt" } });
    expect(copy.status).toBe(403);
    expect((await get(stack.global.url, "/lit2/stolen.txt")).status).toBe(404);

    const created = await rawSigned(stack.global.url, { method: "POST", path: "/lit2/mp?uploads", creds: limited });
    expect(created.status).toBe(200);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)![1]!;
    const partCopy = await rawSigned(stack.global.url, { method: "PUT", path: `/lit2/mp?partNumber=1&uploadId=${uploadId}`, creds: limited, headers: { "x-amz-copy-source": "lit/only-lit.txt" } });
    expect(partCopy.status).toBe(403);
    // Within its own bucket it still copies.
    expect((await put(stack.global.url, "/lit2/own.txt", "mine", limited)).status).toBe(200);
    expect((await rawSigned(stack.global.url, { method: "PUT", path: "/lit2/own-copy.txt", creds: limited, headers: { "x-amz-copy-source": "lit2/own.txt" } })).status).toBe(200);
  });

  it("a read-only key can neither copy nor write", async () => {
    const ro = await accessKey({ description: "ro", permission: "read-only" });
    expect((await get(stack.global.url, "/lit/only-lit.txt", ro)).status).toBe(200);
    expect((await rawSigned(stack.global.url, { method: "PUT", path: "/lit/ro-copy.txt", creds: ro, headers: { "x-amz-copy-source": "lit/only-lit.txt" } })).status).toBe(403);
    expect((await put(stack.global.url, "/lit/ro.txt", "x", ro)).status).toBe(403);
  });
});

describe.each(["region", "global"] as const)("early answers (%s)", (layer) => {
  it("an unauthenticated PUT with Expect: 100-continue gets its 403 before any 100 Continue", async () => {
    const url = new URL(layers()[layer]);
    const first = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`PUT /lit/expect.txt HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 1048576\r\nExpect: 100-continue\r\n\r\n`);
      });
      let seen = "";
      socket.on("data", (d) => {
        seen += d.toString("latin1");
        if (seen.includes("\r\n")) {
          socket.destroy();
          resolve(seen.slice(0, seen.indexOf("\r\n")));
        }
      });
      socket.on("error", reject);
      setTimeout(() => reject(new Error("no answer")), 5000).unref();
    });
    expect(first).toBe("HTTP/1.1 403 Forbidden");
  });

  it("a signed multi-MiB PUT to a missing bucket gets its 404, repeatedly", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await rawSigned(layers()[layer], { method: "PUT", path: `/no-such-bucket-${layer}/big`, creds: full, body: Buffer.alloc((i + 1) * 1024 * 1024, 7) });
      expect(res.status).toBe(404);
      expect(res.text).toContain("NoSuchBucket");
    }
  });
});

describe("a routed but unregistered customer", () => {
  it("gets an S3 error that says it is not registered, not that it is homed elsewhere", async () => {
    expect((await fetch(`${stack.global.url}/routing/customers/routed-only?region_id=FI-HEL`, { method: "POST", headers: adminAuth })).status).toBe(201);
    const res = await fetch(`${stack.global.url}/some-bucket`, { headers: { "x-customer-id": "routed-only" } });
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).toContain("not registered");
    // Directly, without the router's proof, the region does not call out to find out why.
    const direct = await fetch(`${stack.regions["FI-HEL"].url}/some-bucket`, { headers: { "x-customer-id": "routed-only" } });
    expect(await direct.text()).toContain("is not homed in region FI-HEL");
  });
});

describe("hostile sizes are refused cheaply", () => {
  it.each(["region", "global"] as const)("thousands of query parameters are refused before any signature work (%s)", async (layer) => {
    const query = Array.from({ length: 2300 }, (_, i) => `p${i}=`).join("&");
    const started = performance.now();
    const res = await rawSigned(layers()[layer], { method: "GET", path: `/lit?${query}`, creds: { ...full, secretAccessKey: "wrong".repeat(8) } });
    expect(res.status).toBe(400);
    expect(res.text).toContain("InvalidArgument");
    // Not a timing assertion on the product: a sanity bound that the refusal did not canonicalise 2300 parameters.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("deeply nested JSON on a management route is a 400, not a 500", async () => {
    const nested = `{"name":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    const res = await fetch(`${stack.regions["FI-HEL"].url}/api/tokens`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: nested });
    expect(res.status).toBe(400);
  });

  it("a client that aborts mid-body gets no 503 blamed on the database, and the region stays healthy", async () => {
    const url = new URL(stack.regions["FI-HEL"].url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`PUT /lit/aborted HTTP/1.1\r\nHost: ${url.host}\r\nx-customer-id: edge-co\r\nContent-Length: 1048576\r\n\r\n`);
        socket.write(Buffer.alloc(4096));
        setTimeout(() => { socket.destroy(); resolve(); }, 200);
      });
      socket.on("error", () => resolve());
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`${stack.regions["FI-HEL"].url}/health`)).status).toBe(200);
    expect((await get(stack.global.url, "/lit/aborted")).status).toBe(404);
  });
});
