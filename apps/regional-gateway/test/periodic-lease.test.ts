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
    // Longer than a renewal period of the lease: a long run must keep it.
    await new Promise((r) => setTimeout(r, 120));
    inFlight--;
  };
  const leaseA = new WorkerLease(db, "test-task", 300);
  const leaseB = new WorkerLease(db, "test-task", 300);
  const stopA = startPeriodic("test task", task("A"), 20, logger, { lease: leaseA });
  await new Promise((r) => setTimeout(r, 50)); // A ticks first and takes the lease
  const stopB = startPeriodic("test task", task("B"), 20, logger, { lease: leaseB });
  await new Promise((r) => setTimeout(r, 1500));
  expect(overlapped).toBe(false);
  expect(runs.length).toBeGreaterThan(3);
  expect(new Set(runs)).toEqual(new Set(["A"]));

  stopA();
  await expect.poll(() => inFlight, { timeout: 2000 }).toBe(0);
  await leaseA.release();
  const before = runs.length;
  await expect.poll(() => runs.slice(before).includes("B"), { timeout: 3000 }).toBe(true);
  expect(runs.slice(before).every((w) => w === "B")).toBe(true);
  stopB();
  await leaseB.release();
  expect(overlapped).toBe(false);
}, 30_000);
