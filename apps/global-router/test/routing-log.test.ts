import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { RoutingLogBuffer, type RoutingLogEntry } from "../src/routing-log.ts";

const silent = pino({ level: "silent" });
const entry = (i: number): RoutingLogEntry => ({
  customerId: `c-${i}`,
  regionId: "FI-HEL",
  method: "GET",
  statusCode: 200,
  durationMs: 1,
  createdAt: new Date(0),
});

describe("RoutingLogBuffer", () => {
  it("writes in batches off the request path", async () => {
    const batches: number[] = [];
    const buf = new RoutingLogBuffer({ insert: async (rows) => void batches.push(rows.length), logger: silent, batchSize: 100, flushIntervalMs: 10_000 });
    for (let i = 0; i < 250; i++) buf.record(entry(i));
    await buf.close();
    expect(batches).toEqual([100, 100, 50]);
    expect(buf.stats()).toEqual({ buffered: 0, written: 250, dropped: 0, spooled: 0 });
  });

  it("rows recorded while a batch is being written wait for the next flush, not a statement of their own", async () => {
    const batches: number[] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const buf = new RoutingLogBuffer({
      insert: async (rows) => {
        batches.push(rows.length);
        await slow;
      },
      logger: silent,
      batchSize: 100,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 5; i++) buf.record(entry(i));
    const first = buf.flush();
    // A busy router: requests keep finishing while the database takes its time.
    for (let i = 5; i < 50; i++) buf.record(entry(i));
    release();
    await first;
    expect(batches).toEqual([5]);
    expect(buf.stats()).toMatchObject({ buffered: 45, written: 5 });
    await buf.close();
    expect(batches).toEqual([5, 45]);
    expect(buf.stats()).toEqual({ buffered: 0, written: 50, dropped: 0, spooled: 0 });
  });

  it("flushes on its timer", async () => {
    const written: RoutingLogEntry[] = [];
    const buf = new RoutingLogBuffer({ insert: async (rows) => void written.push(...rows), logger: silent, flushIntervalMs: 20 });
    buf.record(entry(1));
    await new Promise((r) => setTimeout(r, 100));
    expect(written.map((r) => r.customerId)).toEqual(["c-1"]);
    await buf.close();
  });

  it("stays bounded while the database is down, dropping the oldest rows, and recovers", async () => {
    let down = true;
    const written: RoutingLogEntry[] = [];
    const buf = new RoutingLogBuffer({
      insert: async (rows) => {
        if (down) throw new Error("connection refused");
        written.push(...rows);
      },
      logger: silent,
      batchSize: 10,
      maxBuffered: 100,
      flushIntervalMs: 10_000,
    });
    for (let i = 0; i < 1_000; i++) buf.record(entry(i));
    await buf.flush();
    expect(buf.stats()).toEqual({ buffered: 100, written: 0, dropped: 900, spooled: 0 });
    down = false;
    await buf.flush();
    expect(written.map((r) => r.customerId)).toEqual(Array.from({ length: 100 }, (_, i) => `c-${900 + i}`));
    await buf.close();
  });

  it("counts rows it cannot write at shutdown as dropped", async () => {
    const buf = new RoutingLogBuffer({
      insert: async () => {
        throw new Error("down");
      },
      logger: silent,
      flushIntervalMs: 10_000,
    });
    buf.record(entry(1));
    buf.record(entry(2));
    await buf.close();
    expect(buf.stats()).toEqual({ buffered: 0, written: 0, dropped: 2, spooled: 0 });
  });
});
