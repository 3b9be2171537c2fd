import { createTestDatabase } from "@s3gw/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { TcpProxy, timed, viaProxy } from "./failure-helpers.ts";

// The region's Postgres is reached through a TCP proxy in this process, so the test can take
// the database away (reset + refuse, or a silent hang) and give it back, as an outage would.
let region: TestRegion;
let proxy: TcpProxy;
let dropDb: () => Promise<void>;
let client: ReturnType<typeof s3>;
const BOUND_MS = 2000;

beforeAll(async () => {
  const db = await createTestDatabase("faults-db");
  dropDb = db.drop;
  const u = new URL(db.url);
  proxy = await TcpProxy.start({ host: u.hostname, port: Number(u.port || 5432) });
  region = await startTestRegion("FI-HEL", { database: { url: viaProxy(db.url, proxy), poolSize: 4 } });
  client = await registerWithBuckets(region.url, "outage-co", ["data"]);
  expect((await client("/data/kept.txt", { method: "PUT", body: "still here" })).status).toBe(200);
});
afterAll(async () => {
  await region?.destroy();
  await proxy?.close();
  await dropDb?.();
});

async function expectS3Unavailable(res: Response, ms: number) {
  const body = await res.text();
  expect({ status: res.status, ms: ms < BOUND_MS }).toEqual({ status: 503, ms: true });
  expect(body).toContain("<Code>ServiceUnavailable</Code>");
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
}

async function expectDownEverywhere() {
  const get = await timed(client("/data/kept.txt"));
  await expectS3Unavailable(get.value, get.ms);
  const put = await timed(client("/data/new.txt", { method: "PUT", body: "lost?" }));
  await expectS3Unavailable(put.value, put.ms);
  const list = await timed(client("/data?list-type=2"));
  await expectS3Unavailable(list.value, list.ms);

  const api = await timed(fetch(`${region.url}/api/customers/outage-co/info`, { headers: adminAuth }));
  expect(api.value.status).toBe(503);
  expect(api.ms).toBeLessThan(BOUND_MS);
  expect(api.value.headers.get("retry-after")).toBeTruthy();
  expect(((await api.value.json()) as { error: { code: string } }).error.code).toBe("SERVICE_UNAVAILABLE");

  const health = await timed(fetch(`${region.url}/health`));
  expect(health.value.status).toBe(503);
  expect(health.ms).toBeLessThan(BOUND_MS);
  const h = (await health.value.json()) as { status: string; database: string };
  expect(h).toMatchObject({ status: "unhealthy", database: "down" });
}

async function expectRecovered() {
  const deadline = Date.now() + 15_000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await client("/data/kept.txt")).status;
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(status).toBe(200);
  const get = await client("/data/kept.txt");
  expect(await get.text()).toBe("still here");
  expect((await client("/data/after.txt", { method: "PUT", body: "back" })).status).toBe(200);
  const health = await fetch(`${region.url}/health`);
  expect(health.status).toBe(200);
  expect(((await health.json()) as { database: string }).database).toBe("ok");
}

describe("the region's database goes down", () => {
  it("refused connections: 503 ServiceUnavailable with Retry-After within 2 s, /health says down, recovers on its own", async () => {
    expect((await client("/data/kept.txt")).status).toBe(200); // pool connections are open
    await proxy.cut();
    await expectDownEverywhere();
    await expectDownEverywhere(); // and again, once the pool has noticed
    await proxy.restore();
    await expectRecovered();
  });

  it("a hung database (connections accepted, never answered): the same bounded 503, then recovery", async () => {
    expect((await client("/data/kept.txt")).status).toBe(200);
    proxy.freeze();
    await expectDownEverywhere();
    await proxy.restore();
    await expectRecovered();
  });

  it("nothing acknowledged during the outage was lost: the PUTs answered 503 left no object", async () => {
    const res = await client("/data/new.txt");
    expect(res.status).toBe(404);
  });
});
