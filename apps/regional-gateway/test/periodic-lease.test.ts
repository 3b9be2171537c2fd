// Periodic background work is once per region: two instances' loops of one task on one database,
// each with its own WorkerLease, never run it at the same time, and only the holder runs it; the
// other takes over once the holder stops and gives the lease up.
import { openDatabase } from "@s3gw/db";
import { createTestDatabase } from "@s3gw/db/testing";
import { regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RegionalDb } from "../src/env.ts";
import { WorkerLease } from "../src/services/events/dispatch/lease.ts";
import { startPeriodic } from "../src/services/ops/periodic.ts";

let db: RegionalDb;
let close: () => Promise<void>;
const logger = pino({ level: "silent" });

beforeAll(async () => {
  const t = await createTestDatabase("periodic_lease");
  const database = await openDatabase({ url: t.url }, regionalSchema);
  await database.migrate(regionalMigrationsFolder);
  db = database.db;
  close = async () => (await database.close(), await t.drop());
}, 60_000);
afterAll(() => close?.());

it("two instances' loops of one task: one runs it, never both at once; the other takes over when the holder leaves", async () => {
  const runs: string[] = [];
  let inFlight = 0;
  let overlapped = false;
  const task = (who: string) => async () => {
    inFlight++;
    if (inFlight > 1) overlapped = true;
    runs.push(who);
    // Longer than a renewal period of the lease (a third of its TTL): a long run must keep it.
    await new Promise((r) => setTimeout(r, 1200));
    inFlight--;
  };
  // A TTL with room for a loaded machine's stalls: a renewal late by more than the slack lets the
  // other instance take over, legitimately, which is not what this test is about.
  const ttlMs = 3000;
  const loops = { A: new WorkerLease(db, "test-task", ttlMs), B: new WorkerLease(db, "test-task", ttlMs) };
  const stops = {
    A: startPeriodic("test task", task("A"), 20, logger, { lease: loops.A }),
    B: startPeriodic("test task", task("B"), 20, logger, { lease: loops.B }),
  };
  // Whichever ticks first takes the lease; from then on only it runs.
  await expect.poll(() => runs.length, { timeout: 10_000 }).toBeGreaterThan(0);
  const holder = runs[0] as "A" | "B";
  const other = holder === "A" ? "B" : "A";
  await new Promise((r) => setTimeout(r, 4000));
  expect(overlapped).toBe(false);
  expect(runs.length).toBeGreaterThan(2);
  expect(new Set(runs)).toEqual(new Set([holder]));

  stops[holder]();
  await expect.poll(() => inFlight, { timeout: 5000 }).toBe(0);
  await loops[holder].release();
  const before = runs.length;
  await expect.poll(() => runs.slice(before).includes(other), { timeout: 10_000 }).toBe(true);
  expect(runs.slice(before).every((w) => w === other)).toBe(true);
  stops[other]();
  await expect.poll(() => inFlight, { timeout: 5000 }).toBe(0);
  await loops[other].release();
  expect(overlapped).toBe(false);
}, 60_000);
