// A hung storage backend (radosgw frozen with SIGSTOP: its socket open, no answer) is a clear,
// bounded error: 503 ServiceUnavailable after about S3_REQUEST_TIMEOUT_MS × S3_MAX_ATTEMPTS,
// never a request that hangs with it; the region serves again once the backend answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, s3, startTestRegion, TEST_TOPOLOGY, type TestRegion } from "./harness.ts";
import { acquireRgw, requireRgw, type Rgw } from "./rgw-helpers.ts";
import { xmlValue } from "./s3-write-helpers.ts";

const available = requireRgw("rgw-hung-storage.test.ts");
const BOUNDS = { timeoutMs: 1500, maxAttempts: 2 };
let rgw: Rgw;

describe.skipIf(!available)("a hung Ceph RGW behind a region", () => {
  beforeAll(async () => {
    rgw = await acquireRgw("hung");
  }, 600_000);
  afterAll(() => rgw?.release(), 180_000);

  it("answers 503 within the configured bound while RGW hangs, and serves again when it answers", async () => {
    const extra = await rgw.extraGateway();
    const bucket = await rgw.bucket("fi-hel-hung");
    const base = TEST_TOPOLOGY.regions.find((r) => r.region_id === "FI-HEL")!;
    const region: TestRegion = await startTestRegion("FI-HEL", {
      region: { ...base, provider: { provider_id: "fi-hel-rgw", type: "s3", country: "FI", endpoint: extra.endpoint } },
      hostedS3: { bucket, region: rgw.region, endpoint: extra.endpoint, ...rgw.credentials, pathPrefix: "gateway" },
      s3Requests: BOUNDS,
    });
    try {
      expect((await register(region.url, "acme-corp")).status).toBe(201);
      const acme = s3(region.url, "acme-corp");
      expect((await acme("/documents", { method: "PUT" })).status).toBe(200);
      expect((await acme("/documents/kept.txt", { method: "PUT", body: "before the hang" })).status).toBe(200);

      extra.freeze();
      try {
        for (const [what, call] of [
          ["GET", () => acme("/documents/kept.txt")],
          ["PUT", () => acme("/documents/lost.txt", { method: "PUT", body: "x".repeat(2000) })],
        ] as const) {
          const started = Date.now();
          const res = await call();
          const took = Date.now() - started;
          expect(res.status, what).toBe(503);
          expect(xmlValue(await res.text(), "Code"), what).toBe("ServiceUnavailable");
          // 2 attempts of 1.5 s and the SDK's backoff between them; far from the 90 s of the defaults.
          expect(took, what).toBeLessThan(10_000);
        }
        // Metadata answers are not held up by the hung bytes: the refused PUT left nothing listed.
        expect((await acme("/documents/lost.txt", { method: "HEAD" })).status).toBe(404);
      } finally {
        extra.thaw();
      }
      expect(await (await acme("/documents/kept.txt")).text()).toBe("before the hang");
      expect((await acme("/documents/after.txt", { method: "PUT", body: "after" })).status).toBe(200);
    } finally {
      await region.destroy();
      await extra.stop();
    }
  }, 180_000);
});
