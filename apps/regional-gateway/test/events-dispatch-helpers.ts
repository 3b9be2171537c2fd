import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { eventOutbox, notificationDeliveries, notificationTargets } from "@s3gw/schema-regional";
import { desc, eq, isNull } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { RegionalDb } from "../src/env.ts";
import { register, startTestRegion, type TestRegion } from "./harness.ts";
import { insertObjectEvent } from "../src/services/events/outbox.ts";
import { EventDispatcher } from "../src/services/events/dispatch/event-dispatcher.ts";
import { EVENT_DISPATCHER_DEFAULTS, type EventDispatcherSettings } from "../src/services/events/dispatch/settings.ts";
import { sealTargetSecret, targetKeyRing } from "../src/services/events/target-secrets.ts";

/** Quick ticks, short backoff: what the dispatch tests run with unless a test says otherwise. */
export const TEST_DISPATCH: EventDispatcherSettings = {
  ...EVENT_DISPATCHER_DEFAULTS,
  pollMs: 25,
  leaseTtlMs: 10_000,
  retryBaseMs: 20,
  retryMaxMs: 100,
  targetConcurrency: 4,
};

export function dispatcherOf(region: TestRegion, settings: Partial<EventDispatcherSettings> = {}): EventDispatcher {
  return new EventDispatcher(region.deps, { ...TEST_DISPATCH, ...settings });
}

export const newTargetId = () => `tgt_${randomBytes(12).toString("hex")}`;

/** A webhook target row, its secret sealed as the targets API seals it; returns its id and secret. */
export async function insertWebhookTarget(
  region: TestRegion,
  opts: { url: string; country?: string; complianceEvents?: string[]; timeoutMs?: number },
): Promise<{ targetId: string; secret: string }> {
  const targetId = newTargetId();
  const secret = randomBytes(32).toString("hex");
  await region.deps.db.insert(notificationTargets).values({
    targetId,
    name: `h-dispatch-${targetId}`,
    kind: "webhook",
    country: opts.country ?? "FI",
    config: { url: opts.url, timeoutMs: opts.timeoutMs ?? 5000 },
    sealedSecret: sealTargetSecret(targetKeyRing(region.deps.config), targetId, secret),
    complianceEvents: opts.complianceEvents ?? [],
    createdBy: "h-dispatch-test",
  });
  return { targetId, secret };
}

export async function insertNatsTarget(region: TestRegion, opts: { stream: string; subject: string; credentials?: string; servers?: string[] }): Promise<string> {
  const targetId = newTargetId();
  await region.deps.db.insert(notificationTargets).values({
    targetId,
    name: `h-dispatch-${targetId}`,
    kind: "nats",
    country: "FI",
    config: { servers: opts.servers ?? ["nats://127.0.0.1:4222"], stream: opts.stream, subject: opts.subject, timeoutMs: 5000 },
    sealedSecret: opts.credentials === undefined ? null : sealTargetSecret(targetKeyRing(region.deps.config), targetId, opts.credentials),
    createdBy: "h-dispatch-test",
  });
  return targetId;
}

/** The id of the newest outbox row (the event just inserted). */
export async function lastEventId(db: RegionalDb): Promise<string> {
  const [row] = await db.select({ id: eventOutbox.eventId }).from(eventOutbox).orderBy(desc(eventOutbox.seq)).limit(1);
  return row!.id;
}

export function deliveriesOf(db: RegionalDb, eventId: string) {
  return db.select().from(notificationDeliveries).where(eq(notificationDeliveries.eventId, eventId));
}

export interface Received { headers: IncomingHttpHeaders; body: string; eventId: string; answered: number | "hung" }

/**
 * A real HTTP receiver on loopback. `answer` decides per request: a status code (sent after
 * `delayMs`), or "hang" (never answers). Every request is recorded, in arrival order, with
 * what it was answered.
 */
export async function startReceiver(answer: (r: Omit<Received, "answered">, nth: number) => number | "hang" = () => 200, opts: { delayMs?: number } = {}) {
  const received: Received[] = [];
  const hung: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), eventId: String(req.headers["x-s3gw-event-id"]) };
      const decision = answer(r, received.filter((x) => x.eventId === r.eventId).length);
      received.push({ ...r, answered: decision === "hang" ? "hung" : decision });
      if (decision === "hang") hung.push(res);
      else setTimeout(() => res.writeHead(decision, { "content-type": "text/plain" }).end("ok"), opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it returns a value (not undefined/false), failing after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits `ticks` poll intervals (lets a dispatcher do whatever it would do next). */
export const settle = (ticks = 10) => new Promise((r) => setTimeout(r, TEST_DISPATCH.pollMs * ticks));

export const CUSTOMER = "h-dispatch-acme";

/**
 * One FI-HEL region for a test file (no dispatcher of its own: tests start theirs), with a
 * registered strict Finnish customer. After each test the dispatchers started through
 * `started` stop and every target is deleted, so no test's targets are retried in the next.
 */
export function useDispatchRegion() {
  let region: TestRegion | undefined;
  const running: { stop(): Promise<void> }[] = [];
  beforeAll(async () => {
    region = await startTestRegion("FI-HEL");
    expect((await register(region.url, CUSTOMER)).status).toBe(201);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await region!.deps.db.update(notificationTargets).set({ deletedAt: new Date() }).where(isNull(notificationTargets.deletedAt));
  });
  afterAll(async () => {
    await region?.destroy();
  });
  const ctx = {
    get region(): TestRegion {
      return region!;
    },
    started<T extends { start(): void; stop(): Promise<void> }>(d: T): T {
      d.start();
      running.push(d);
      return d;
    },
    /** An ObjectCreated:Put event of CUSTOMER for `targetIds`; returns its event id. */
    async putEvent(targetIds: string[], key = "docs/report 1.pdf", customerId = CUSTOMER): Promise<string> {
      await insertObjectEvent(region!.deps.db, {
        customerId,
        bucketId: "bkt-1",
        key,
        eventName: "s3:ObjectCreated:Put",
        targetIds,
        payload: { bucket: "documents", key, size: 11, eTag: "abc123", principalId: "AKIATEST", sourceIp: "127.0.0.1", requestId: "req-1", configurationIds: Object.fromEntries(targetIds.map((t) => [t, "cfg-1"])) },
        now: new Date(),
      });
      return lastEventId(region!.deps.db);
    },
  };
  return ctx;
}
