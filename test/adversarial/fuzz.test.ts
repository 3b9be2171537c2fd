import { afterAll, beforeAll, describe as suite, expect, it } from "vitest";
import { adminAuth } from "../../apps/regional-gateway/test/harness.ts";
import { S3_OPERATIONS } from "../../apps/regional-gateway/src/routes/s3/operations.ts";
import { startStack, type RegionId, type TestStack } from "../support/stack.ts";
import { buildFixtures, type Fixtures } from "./fuzz/fixtures.ts";
import { closeAgents, sendFuzz, type FuzzRequest } from "./fuzz/http.ts";
import { MANAGEMENT_ROUTES } from "./fuzz/management-routes.ts";
import { buildMgmtRequest } from "./fuzz/mgmt-requests.ts";
import { describe, FuzzReport } from "./fuzz/report.ts";
import { parseSeed, Rng } from "./fuzz/rng.ts";
import { buildS3Request } from "./fuzz/s3-requests.ts";
import { StallWatch } from "./fuzz/stalls.ts";

// A seeded, bounded fuzz over every route of both layers: every row of the S3 operation table
// (via the global endpoint and directly on regions) and every management route, with hostile
// paths, queries, headers, bodies, signatures, tokens and framings. The guarantee tried: a
// hostile request gets a clean answer (no 5xx but 501/503, no hang), every process survives,
// and every region's audit chain stays intact.
//   FUZZ_SEED=<n>         another run (printed at start)
//   FUZZ_REQUESTS=<n>     how many (default 5000); FUZZ_CONCURRENCY=<n> (default 8)
//   FUZZ_ONLY=<i,j>       replay only these indexes of the seed, each printed whole

const SEED = parseSeed(process.env.FUZZ_SEED, 0x5eed0008);
const MAX_REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5000);
const MAX_MS = 150_000;
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 8);
const ONLY = process.env.FUZZ_ONLY?.split(",").map(Number);

let stack: TestStack;
let fx: Fixtures;
const report = new FuzzReport();
const stalls = new StallWatch();

beforeAll(async () => {
  console.log(`fuzz seed: ${SEED} (FUZZ_SEED=${SEED} to repeat this run)`);
  stack = await startStack();
  fx = await buildFixtures(stack);
}, 120_000);
afterAll(async () => {
  closeAgents();
  await stack?.close();
});

/** Request i: three in five are S3 rows, two in five management routes, each list taken in turn. */
async function generate(i: number): Promise<{ req: FuzzRequest; kind: "s3" | "management" }> {
  const rng = Rng.forRequest(SEED, i);
  const round = Math.floor(i / 5);
  const slot = i % 5;
  if (slot < 3) return { req: await buildS3Request(rng, fx, S3_OPERATIONS[(round * 3 + slot) % S3_OPERATIONS.length]!, i), kind: "s3" };
  return { req: buildMgmtRequest(rng, fx, MANAGEMENT_ROUTES[(round * 2 + slot - 3) % MANAGEMENT_ROUTES.length]!, i), kind: "management" };
}

const baseOf = (layer: string) => (layer === "global" ? fx.global : fx.regions[layer as RegionId]);

suite("fuzz: every route of both layers", () => {
  it("answers every hostile request cleanly, keeps every process up and every audit chain intact", async () => {
    const started = Date.now();
    const indexes = ONLY ?? Array.from({ length: MAX_REQUESTS }, (_, i) => i);
    let next = 0;
    const worker = async () => {
      while (next < indexes.length && Date.now() - started < MAX_MS) {
        const i = indexes[next++]!;
        const g0 = Date.now();
        const { req, kind } = await generate(i);
        const t0 = Date.now();
        if (t0 - g0 > 200) console.log(`slow generation #${i}: ${t0 - g0} ms ${req.mutations.join("; ")} ${req.target.slice(0, 200)}`);
        stalls.begin(req);
        const ans = await sendFuzz(baseOf(req.layer), req);
        stalls.end(req);
        // Replaying chosen indexes: show each one whole.
        if (ONLY) console.log(describe({ req, ans, why: `${Date.now() - t0} ms` }));
        report.record(req, ans, kind, Date.now() - t0);
      }
    };
    stalls.start();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    stalls.stop();
    const seconds = (Date.now() - started) / 1000;

    const health: string[] = [];
    for (const [name, url] of [["global", fx.global], ...Object.entries(fx.regions)] as [string, string][]) {
      const res = await fetch(`${url}/health`).catch((e: Error) => ({ status: 0, text: async () => e.message }));
      health.push(`${name}: ${res.status}${res.status === 200 ? "" : ` ${await res.text()}`}`);
    }
    const chains: string[] = [];
    for (const [name, url] of Object.entries(fx.regions)) {
      const res = await fetch(`${url}/api/audit/verify`, { headers: adminAuth });
      const body = (await res.json().catch(() => ({}))) as { intact?: boolean };
      chains.push(`${name}: ${res.status} intact=${body.intact}${body.intact ? "" : ` ${JSON.stringify(body).slice(0, 400)}`}`);
    }

    console.log(
      [
        `fuzz seed ${SEED}: ${report.sent} requests in ${seconds.toFixed(1)} s (${(report.sent / seconds).toFixed(0)}/s, concurrency ${CONCURRENCY})`,
        report.table(),
        `statuses: ${report.statusLine()}`,
        `health: ${health.join(", ")}`,
        `audit chains: ${chains.join(", ")}`,
        `event-loop stalls over 1 s: ${stalls.stalls.length}`,
        ...stalls.summary(),
        `slowest: ${report.slowest().map((s) => `#${s.index} ${s.route} ${s.ms} ms`).join(", ")}`,
        `offenders: ${report.offenders.length}; connection resets: ${report.resets.length}; 503s: ${report.unavailable.length}`,
        ...report.offenders.slice(0, 40).map(describe),
        ...(report.resets.length ? ["resets (first 10):", ...report.resets.slice(0, 10).map(describe)] : []),
        ...(report.unavailable.length ? ["503s (first 10):", ...report.unavailable.slice(0, 10).map(describe)] : []),
      ].join("\n"),
    );

    // The harness itself: every route was sent, and enough requests got through to the handlers.
    if (!ONLY) {
      const missing = [...S3_OPERATIONS.map((o) => o.name), ...MANAGEMENT_ROUTES.map((r) => r.name)].filter((n) => !report.routes.has(n));
      expect(missing, "routes never sent").toEqual([]);
      expect(report.sent).toBeGreaterThanOrEqual(Math.min(MAX_REQUESTS, 1000));
      expect(report.share("2xx"), "share of 2xx answers").toBeGreaterThan(0.1);
    }
    expect(health.filter((h) => !/: 200$/.test(h)), "health at the end").toEqual([]);
    expect(chains.filter((c) => !/intact=true$/.test(c)), "audit chains").toEqual([]);
    expect(report.offenders.map((o) => `#${o.req.index} ${o.why} ${o.req.layer} ${o.req.route} ${o.req.method} ${o.req.target.slice(0, 120)}`), "5xx other than 501/503, or no answer").toEqual([]);
  }, 240_000);
});
