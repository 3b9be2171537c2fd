import net from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
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

function raw(head: string, body = ""): Promise<string> {
  const u = new URL(fi.url);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) }, () => sock.write(`${head.replace(/\n/g, "\r\n")}\r\n${body}`));
    let out = "";
    sock.on("data", (d: Buffer) => {
      out += d.toString("latin1");
      // One whole answer (Content-Length framed) is enough.
      const end = out.indexOf("\r\n\r\n");
      const len = /content-length: (\d+)/i.exec(out.slice(0, end))?.[1];
      if (end >= 0 && len !== undefined && out.length >= end + 4 + Number(len)) sock.destroy();
    });
    sock.on("close", () => resolve(out));
    sock.on("error", reject);
    setTimeout(() => sock.destroy(), 5_000).unref();
  });
}

it("stores and reads an object whatever unknown Expect value the client sends", async () => {
  const host = new URL(fi.url).host;
  for (const [i, expectation] of ["200", "", "something-else"].entries()) {
    const put = await raw(`PUT /s3/expect-bucket/k${i} HTTP/1.1\nHost: ${host}\nx-customer-id: expect-co\ncontent-length: 3\nexpect: ${expectation}\nconnection: close\n`, "abc");
    expect(put.startsWith("HTTP/1.1 200"), `expect: "${expectation}": ${put.slice(0, 60)}`).toBe(true);
    const get = await raw(`GET /s3/expect-bucket/k${i} HTTP/1.1\nHost: ${host}\nx-customer-id: expect-co\nexpect: ${expectation}\nconnection: close\n`);
    expect(get.startsWith("HTTP/1.1 200")).toBe(true);
    expect(get.endsWith("\r\n\r\nabc")).toBe(true);
  }
});
