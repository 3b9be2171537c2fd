import { createHash } from "node:crypto";
import http from "node:http";
import { accessKeyRouting, routingLog } from "@s3gw/schema-global";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chunks,
  closedPort,
  eventually,
  register,
  send,
  startFakeRegion,
  startHungServer,
  startRouter,
  topologyOf,
  type FakeRegion,
  type RouterHarness,
} from "./helpers.ts";

const MiB = 1024 * 1024;

describe("S3 pass-through", () => {
  let fi: FakeRegion;
  let de: FakeRegion;
  let hung: { url: string; close(): Promise<void> };
  let h: RouterHarness;
  let base: string;
  let host: string;

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    de = await startFakeRegion("DE-FRA");
    hung = await startHungServer();
    h = await startRouter(
      topologyOf([
        { regionId: "FI-HEL", url: fi.url, country: "FI" },
        { regionId: "DE-FRA", url: de.url, country: "DE" },
        { regionId: "US-EAST", url: `http://127.0.0.1:${await closedPort()}`, country: "US" },
        { regionId: "IE-DUB", url: hung.url, country: "IE" },
      ]),
      { upstream: { connectTimeoutMs: 1_000, headersTimeoutMs: 1_000, bodyTimeoutMs: 10_000 } },
    );
    base = h.router.url;
    host = new URL(base).host;
    for (const [customer, region] of [
      ["acme-corp", "FI-HEL"],
      ["globex", "DE-FRA"],
      ["initech", "US-EAST"],
      ["hooli", "IE-DUB"],
    ] as const) {
      expect((await register(base, customer, region)).status).toBe(201);
    }
    // The signed request below is routed by its access key (a miss reads the database).
    await h.db.db.insert(accessKeyRouting).values({ accessKeyId: "AKIAIOSFODNN7EXAMPLE", customerId: "acme-corp" });
  });
  afterAll(async () => {
    await h?.stop();
    await fi?.close();
    await de?.close();
    await hung?.close();
  });

  it("forwards method, raw path, query, headers and body to the home region and passes the answer back", async () => {
    const path = "/s3/secret-bucket/dir/..%2Fodd%20key/%E2%82%AC.txt?partNumber=2&uploadId=a%2Fb&flag";
    const res = await send(`${base}${path}`, {
      method: "PUT",
      headers: {
        "x-customer-id": "acme-corp",
        "content-type": "text/plain",
        "x-amz-meta-colour": "blue",
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
        "x-amz-date": "20260101T000000Z",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/fi-hel/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-host": "forged.example",
        "x-request-id": "forged",
        connection: "keep-alive, x-private-hop",
        "x-private-hop": "1",
        "x-test-status": "201",
      },
      body: "hello world",
    });
    expect(res.status).toBe(201);
    const echoed = JSON.parse(res.body.toString());
    expect(echoed).toMatchObject({ region: "FI-HEL", method: "PUT", url: path, bodyLength: 11 });
    expect(echoed.bodySha256).toBe(createHash("sha256").update("hello world").digest("hex"));
    const seen = echoed.headers as Record<string, string>;
    expect(seen).toMatchObject({
      host,
      "content-type": "text/plain",
      "content-length": "11",
      "x-amz-meta-colour": "blue",
      authorization: "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/fi-hel/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
      "x-customer-id": "acme-corp",
      "x-forwarded-for": "203.0.113.7, 127.0.0.1",
      "x-forwarded-host": host,
      "x-forwarded-proto": "http",
    });
    expect(seen["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen["x-private-hop"]).toBeUndefined();
    expect(seen["x-test-status"]).toBe("201");
    // Response headers come back unchanged, hop-by-hop ones aside.
    expect(res.headers.etag).toBe('"fake-etag"');
    expect(res.headers["x-amz-request-id"]).toBe("upstream-FI-HEL");
    expect(res.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["content-length"]).toBe(String(res.body.length));
  });

  it("routes each customer to its own region and passes error statuses through", async () => {
    const res = await send(`${base}/s3/bucket/missing?versionId=3`, { headers: { "x-customer-id": "globex", "x-test-status": "404" } });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString())).toMatchObject({ region: "DE-FRA", method: "GET", url: "/s3/bucket/missing?versionId=3" });
    const root = await send(`${base}/s3`, { method: "DELETE", headers: { "x-customer-id": "globex", "x-test-status": "204" } });
    expect(root.status).toBe(204);
    expect(root.body.length).toBe(0);
    expect(de.seen.at(-1)).toMatchObject({ method: "DELETE", url: "/s3" });
  });

  it("answers HEAD with the region's headers and no body", async () => {
    const res = await send(`${base}/s3/bucket/object`, { method: "HEAD", headers: { "x-customer-id": "acme-corp" } });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
    expect(res.headers.etag).toBe('"fake-etag"');
    expect(Number(res.headers["content-length"])).toBeGreaterThan(0);
    expect(fi.seen.at(-1)?.method).toBe("HEAD");
  });

  it("forwards empty and chunked bodies", async () => {
    const empty = await send(`${base}/s3/bucket/empty`, { method: "PUT", headers: { "x-customer-id": "acme-corp", "content-length": "0" } });
    expect(JSON.parse(empty.body.toString())).toMatchObject({ method: "PUT", bodyLength: 0 });
    const chunked = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${base}/s3/bucket/chunked`, { method: "POST", headers: { "x-customer-id": "acme-corp" } }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.write("part one, ");
      setTimeout(() => req.end("part two"), 20);
    });
    expect(JSON.parse(chunked)).toMatchObject({ method: "POST", bodyLength: 18 });
    expect(fi.seen.at(-1)?.headers["transfer-encoding"]).toBe("chunked");
  });

  it("handles Expect: 100-continue uploads (as aws-cli sends them)", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${base}/s3/bucket/continued`, {
        method: "PUT",
        agent: false,
        headers: { "x-customer-id": "acme-corp", expect: "100-continue", "content-length": "5" },
      });
      req.on("continue", () => req.end("hello"));
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => resolve(text));
      });
      req.on("error", reject);
    });
    expect(JSON.parse(body)).toMatchObject({ method: "PUT", bodyLength: 5 });
    expect(fi.seen.at(-1)?.headers.expect).toBeUndefined();
  });

  it("streams a 64 MiB body up and back down concurrently, with bounded data in flight", async () => {
    const sent = createHash("sha256");
    const received = createHash("sha256");
    let sentBytes = 0;
    let receivedBytes = 0;
    let maxInFlight = 0;
    let receivedBeforeUploadEnded = 0;
    let uploadEnded = false;
    {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${base}/s3/big-bucket/big-object`,
          { method: "PUT", agent: false, headers: { "x-customer-id": "acme-corp", "x-test-mode": "echo", "content-length": String(64 * MiB) } },
          (res) => {
            res.on("data", (c: Buffer) => {
              received.update(c);
              receivedBytes += c.length;
              if (!uploadEnded) receivedBeforeUploadEnded += c.length;
            });
            res.on("end", () => resolve(res.statusCode ?? 0));
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        (async () => {
          for (const chunk of chunks(64, MiB)) {
            sent.update(chunk);
            sentBytes += chunk.length;
            maxInFlight = Math.max(maxInFlight, sentBytes - receivedBytes);
            if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
          }
          uploadEnded = true;
          req.end();
        })().catch(reject);
      });
      expect(status).toBe(200);
    }
    expect(receivedBytes).toBe(64 * MiB);
    expect(received.digest("hex")).toBe(sent.digest("hex"));
    // Store-and-forward anywhere on the path would let the whole body be sent before any came back.
    expect(receivedBeforeUploadEnded).toBeGreaterThan(16 * MiB);
    // Process memory while streaming is measured by bench/large-objects.ts (bench:large), not asserted here.
    expect(maxInFlight).toBeLessThan(32 * MiB);
  });

  it("respects backpressure on uploads: a region that stops reading stalls the client", async () => {
    let accepted = 0;
    let lastProgress = Date.now();
    const req = http.request(`${base}/s3/bucket/stalled-upload`, {
      method: "PUT",
      agent: false,
      headers: { "x-customer-id": "globex", "x-test-mode": "stall", "content-length": String(1024 * MiB) },
    });
    const outcome = new Promise<string>((resolve) => {
      req.on("response", (res) => {
        res.resume();
        resolve(`status ${res.statusCode}`);
      });
      req.on("error", (err: NodeJS.ErrnoException) => resolve(`error ${err.code}`));
    });
    const chunk = Buffer.alloc(MiB);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && Date.now() - lastProgress < 400 && !req.destroyed) {
      if (req.write(chunk)) {
        accepted += chunk.length;
        lastProgress = Date.now();
        await new Promise((r) => setImmediate(r));
      } else {
        accepted += chunk.length;
        const drained = await Promise.race([
          new Promise((r) => req.once("drain", () => r(true))),
          new Promise((r) => setTimeout(() => r(false), 400)),
        ]);
        if (drained) lastProgress = Date.now();
        else break;
      }
    }
    // Of the 1 GiB offered, only what fits in socket and stream buffers got in.
    expect(accepted).toBeLessThan(64 * MiB);
    // The stalled region is then given up on after the headers timeout.
    const result = await outcome;
    expect(["status 503", "error ECONNRESET", "error EPIPE"]).toContain(result);
    req.destroy();
  });

  it("respects backpressure on downloads: a client that stops reading stalls the region", async () => {
    let paused: http.IncomingMessage | undefined;
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        `${base}/s3/bucket/big-download`,
        { agent: false, headers: { "x-customer-id": "globex", "x-test-mode": "download", "x-test-bytes": String(1024 * MiB) } },
        (res) => {
          res.once("data", () => {
            res.pause();
            paused = res;
            resolve();
          });
        },
      );
      req.on("error", reject);
      req.end();
    });
    // Let every buffer between the region and this client fill up, then check the region stopped.
    await new Promise((r) => setTimeout(r, 1_500));
    const first = de.seen.at(-1);
    expect(first?.url).toBe("/s3/bucket/big-download");
    const stalledAt = de.downloadedBytes();
    await new Promise((r) => setTimeout(r, 500));
    // Of the 1 GiB on offer, the region got rid of only socket and stream buffers' worth, then stopped.
    expect(stalledAt).toBeLessThan(64 * MiB);
    expect(de.downloadedBytes()).toBe(stalledAt);
    paused?.destroy();
    await eventually(async () => (de.aborted.includes("response") ? true : undefined));
  });

  it("refuses missing, malformed and unknown customers with S3 AccessDenied XML", async () => {
    for (const headers of [{}, { "x-customer-id": "nobody-here" }, { "x-customer-id": "Not Valid" }]) {
      const res = await send(`${base}/s3/bucket/key`, { headers });
      expect(res.status).toBe(403);
      expect(res.headers["content-type"]).toBe("application/xml");
      const xml = res.body.toString();
      expect(xml).toContain("<Code>AccessDenied</Code>");
      expect(xml).toContain(`<RequestId>${res.headers["x-amz-request-id"]}</RequestId>`);
    }
    expect(fi.seen.every((s) => s.headers["x-customer-id"] === "acme-corp")).toBe(true);
  });

  it("answers 503 ServiceUnavailable quickly when the home region refuses connections, other regions unaffected", async () => {
    const started = Date.now();
    const [down, downPut, up] = await Promise.all([
      send(`${base}/s3/bucket/key`, { headers: { "x-customer-id": "initech" } }),
      send(`${base}/s3/bucket/key`, { method: "PUT", headers: { "x-customer-id": "initech" }, body: Buffer.alloc(256 * 1024) }),
      send(`${base}/s3/bucket/key`, { headers: { "x-customer-id": "acme-corp" } }),
    ]);
    // Connection refused must fail fast, well inside the headers timeout, not wait for it.
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const res of [down, downPut]) {
      expect(res.status).toBe(503);
      expect(res.headers["content-type"]).toBe("application/xml");
      expect(res.body.toString()).toContain("<Code>ServiceUnavailable</Code>");
    }
    expect(up.status).toBe(200);
  });

  it("answers 503 after the headers timeout when the home region hangs, while other regions answer at once", async () => {
    const started = Date.now();
    let hangingSettled = false;
    const hanging = send(`${base}/s3/bucket/key`, { headers: { "x-customer-id": "hooli" } }).finally(() => {
      hangingSettled = true;
    });
    const other = await send(`${base}/s3/bucket/key`, { headers: { "x-customer-id": "globex" } });
    expect(other.status).toBe(200);
    // The healthy region answered while the hung one was still being waited for.
    expect(hangingSettled).toBe(false);
    const res = await hanging;
    expect(res.status).toBe(503);
    expect(res.body.toString()).toContain("<Code>ServiceUnavailable</Code>");
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("aborts the upstream request when the client goes away mid-download or mid-upload", async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${base}/s3/bucket/huge`, { agent: false, headers: { "x-customer-id": "globex", "x-test-mode": "endless" } }, (res) => {
        let got = 0;
        res.on("data", (c: Buffer) => {
          got += c.length;
          if (got > 4 * MiB) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on("error", () => {});
      req.on("close", () => resolve());
      req.end();
      setTimeout(() => reject(new Error("download never started")), 5_000);
    });
    await eventually(async () => (de.aborted.includes("response") ? true : undefined));

    const req = http.request(`${base}/s3/bucket/upload`, {
      method: "PUT",
      agent: false,
      headers: { "x-customer-id": "globex", "x-test-mode": "echo", "content-length": String(16 * MiB) },
    });
    req.on("error", () => {});
    req.write(Buffer.alloc(MiB));
    await eventually(async () => (de.seen.at(-1)?.url === "/s3/bucket/upload" ? true : undefined));
    req.destroy();
    await eventually(async () => (de.aborted.filter((a) => a === "request").length > 0 ? true : undefined));
  });

  it("writes one routing_log row per routed request, without keys or bucket names", async () => {
    const before = Date.now();
    await send(`${base}/s3/log-bucket/some/private-key.pdf`, { headers: { "x-customer-id": "acme-corp", "x-test-status": "200" } });
    const rows = await eventually(async () => {
      const r = await h.db.db.select().from(routingLog).where(eq(routingLog.customerId, "acme-corp"));
      return r.some((row) => row.createdAt.getTime() >= before - 1_000 && row.method === "GET") ? r : undefined;
    });
    const row = rows.at(-1);
    expect(row).toMatchObject({ customerId: "acme-corp", regionId: "FI-HEL", method: "GET", statusCode: 200 });
    expect(row?.durationMs).toBeGreaterThanOrEqual(0);
    const all = await h.db.db.select().from(routingLog);
    const failed = all.filter((r) => r.customerId === "initech");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => r.statusCode === 503 && r.regionId === "US-EAST")).toBe(true);
    const text = JSON.stringify(all);
    for (const secret of ["log-bucket", "private-key", "secret-bucket", "big-object", "odd%20key"]) expect(text).not.toContain(secret);
    // Rejected (unrouted) requests are not routing-log rows.
    expect(all.some((r) => r.customerId === "nobody-here")).toBe(false);
  });

  it("never writes object keys, bucket names or credentials to its logs", () => {
    const text = h.logs.join("\n");
    expect(text).toContain('"msg":"request routed"');
    for (const secret of ["log-bucket", "private-key", "secret-bucket", "big-object", "odd%20key", "Signature=5d672d79", "AKIAIOSFODNN7EXAMPLE"]) {
      expect(text).not.toContain(secret);
    }
    for (const line of h.logs) expect(JSON.parse(line).requestId ?? "startup-or-shutdown").toBeTruthy();
    // Start-up and the region breakers' own transitions are not request lines.
    const requestLines = h.logs.map((l) => JSON.parse(l)).filter((l) => l.msg !== "global router started" && !String(l.msg).startsWith("TRUSTED_CUSTOMER_HEADER") && !String(l.msg).startsWith("region circuit") && !String(l.msg).startsWith("listening on"));
    expect(requestLines.filter((l) => typeof l.requestId !== "string").map((l) => l.msg)).toEqual([]);
  });
});
