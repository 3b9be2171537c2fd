import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RoutingLogEntry } from "../src/routing-log.ts";
import { RoutingLogSpool } from "../src/routing-log-spool.ts";

const entry = (i: number): RoutingLogEntry => ({ customerId: `c-${i}`, regionId: "FI-HEL", method: "GET", statusCode: 200, durationMs: i, createdAt: new Date(i) });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "routing-log-spool-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("RoutingLogSpool", () => {
  it("replays rows a previous process left behind", async () => {
    const file = join(dir, "spool.jsonl");
    await writeFile(file, `${JSON.stringify(entry(1))}\n${JSON.stringify(entry(2))}\n`);
    const spool = new RoutingLogSpool(file);
    expect(await spool.hasRows()).toBe(true);
    const written: RoutingLogEntry[] = [];
    expect(await spool.replay(async (rows) => void written.push(...rows), 10)).toBe(2);
    expect(written).toEqual([entry(1), entry(2)]);
    expect(await spool.hasRows()).toBe(false);
  });

  it("once found empty it stays empty without looking, until rows are appended", async () => {
    const spool = new RoutingLogSpool(join(dir, "spool.jsonl"));
    expect(await spool.hasRows()).toBe(false);
    expect(await spool.hasRows()).toBe(false);
    await spool.append([entry(3)]);
    expect(await spool.hasRows()).toBe(true);
  });

  it("an append racing the emptiness check is not forgotten", async () => {
    const spool = new RoutingLogSpool(join(dir, "spool.jsonl"));
    const [has] = await Promise.all([spool.hasRows(), spool.append([entry(4)])]);
    // Whatever the check saw, the next one must see the appended row.
    expect(typeof has).toBe("boolean");
    expect(await spool.hasRows()).toBe(true);
    const written: RoutingLogEntry[] = [];
    await spool.replay(async (rows) => void written.push(...rows), 10);
    expect(written).toEqual([entry(4)]);
  });
});
