import { request } from "node:http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../../apps/regional-gateway/test/harness.ts";
import type { Credentials } from "../support/s3-clients.ts";
import { onboard, startStack, type TestStack } from "../support/stack.ts";
import { rawSigned, sha256hex } from "./signing.ts";

let stack: TestStack;
let creds: Credentials;
const layers = () => ({ region: stack.regions["FI-HEL"].url, global: stack.global.url });

beforeAll(async () => {
  stack = await startStack();
  await onboard(stack, "router-co", "FI-HEL", { customer_name: "Router Co", country: "FI", data_residency_requirement: "strict" });
  const res = await fetch(`${stack.regions["FI-HEL"].url}/api/customers/router-co/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ description: "full" }) });
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  creds = { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
  expect((await rawSigned(stack.global.url, { method: "PUT", path: "/rbk", creds })).status).toBe(200);
}, 120_000);
afterAll(() => stack?.close());

/** A SigV4-signed PUT streamed with Transfer-Encoding: chunked and no Content-Length, as some SDKs send it. */
async function chunkedPut(base: string, path: string, body: Buffer, contentSha = sha256hex(body), signTe = false): Promise<{ status: number; text: string }> {
  const url = new URL(base);
  const signed = await new SignatureV4({ service: "s3", region: "us-east-1", credentials: creds, sha256: Sha256, uriEscapePath: false }).sign(
    { method: "PUT", protocol: "http:", hostname: url.hostname, port: Number(url.port), path, query: {}, headers: { host: url.host, "x-amz-content-sha256": contentSha, ...(signTe ? { "transfer-encoding": "chunked" } : {}) } },
    { signingDate: new Date(), ...(signTe ? { signableHeaders: new Set(["transfer-encoding"]) } : {}) },
  );
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: "PUT", path, headers: { ...(signed.headers as Record<string, string>), "transfer-encoding": "chunked" } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
    });
    req.on("error", reject);
    for (let i = 0; i < body.length; i += 1000) req.write(body.subarray(i, i + 1000));
    req.end();
  });
}

describe.each(["region", "global"] as const)("Transfer-Encoding: chunked PUT without Content-Length (%s)", (layer) => {
  it("stores the object and reads it back", async () => {
    const body = Buffer.from("chunked body ".repeat(500));
    const put = await chunkedPut(layers()[layer], `/rbk/chunked-${layer}.txt`, body);
    expect(put.status, put.text).toBe(200);
    const get = await rawSigned(layers()[layer], { method: "GET", path: `/rbk/chunked-${layer}.txt`, creds });
    expect(get.text).toBe(body.toString());
  });
  it("with transfer-encoding signed (what the router must keep)", async () => {
    const body = Buffer.from("chunked body ".repeat(500));
    const put = await chunkedPut(layers()[layer], `/rbk/chunked2-${layer}.txt`, body, sha256hex(body), true);
    expect(put.status, put.text).toBe(200);
  });
  it("unsigned payload", async () => {
    const body = Buffer.from("chunked body ".repeat(500));
    const put = await chunkedPut(layers()[layer], `/rbk/chunked3-${layer}.txt`, body, "UNSIGNED-PAYLOAD");
    expect(put.status, put.text).toBe(200);
  });
});

// The region answers early refusals without `Connection: close` and drains the unread body
// (bounded), so the router's upstream write completes and the real answer is relayed.
describe.each(["region", "global"] as const)("early refusals of 1-8 MiB PUTs are relayed (%s)", (layer) => {
  it("10 PUTs get their real 404 / 412 / 403, never a 503 or a reset", async () => {
    expect((await rawSigned(layers()[layer], { method: "PUT", path: `/rbk/exists-${layer}`, creds, body: "v1" })).status).toBe(200);
    const results: string[] = [];
    for (let i = 0; i < 10; i++) {
      const size = (1 + (i % 8)) * 1024 * 1024;
      const body = Buffer.alloc(size, i);
      const kind = i % 3;
      const res =
        kind === 0
          ? await rawSigned(layers()[layer], { method: "PUT", path: `/no-such-bucket-${layer}/k${i}`, creds, body }).catch((e: Error) => ({ status: -1, text: e.message }))
          : kind === 1
            ? await rawSigned(layers()[layer], { method: "PUT", path: `/rbk/exists-${layer}`, creds, body, headers: { "if-match": '"nope"' } }).catch((e: Error) => ({ status: -1, text: e.message }))
            : await rawSigned(layers()[layer], { method: "PUT", path: `/rbk/k${i}`, creds: { ...creds, secretAccessKey: "wrong".repeat(8) }, body }).catch((e: Error) => ({ status: -1, text: e.message }));
      results.push(`${kind}:${res.status}`);
    }
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => `${i % 3}:${[404, 412, 403][i % 3]}`));
  });
});
