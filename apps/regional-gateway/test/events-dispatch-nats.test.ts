import { randomBytes } from "node:crypto";
import { connect as netConnect, createServer, type AddressInfo, type Socket } from "node:net";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { notificationDeliveries } from "@s3gw/schema-regional";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CUSTOMER, deliveriesOf, dispatcherOf, insertNatsTarget, settle, useDispatchRegion, waitFor } from "./events-dispatch-helpers.ts";

const suite = useDispatchRegion();
const tag = randomBytes(4).toString("hex");
const STREAM = `H_DISPATCH_${tag}`;
const OTHER_STREAM = `H_DISPATCH_OTHER_${tag}`;
const SUBJECT = `h-dispatch.${tag}.events`;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nc = await connect({ servers: "127.0.0.1:4222" });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: [`h-dispatch.${tag}.>`] });
  await jsm.streams.add({ name: OTHER_STREAM, subjects: [`h-dispatch-other.${tag}.>`] });
});
afterAll(async () => {
  await jsm?.streams.delete(STREAM).catch(() => undefined);
  await jsm?.streams.delete(OTHER_STREAM).catch(() => undefined);
  await nc?.close();
});

describe("event dispatch to NATS JetStream", () => {
  it("publishes the event on the target's subject with Nats-Msg-Id = event id; a re-send is deduplicated", async () => {
    const targetId = await insertNatsTarget(suite.region, { stream: STREAM, subject: SUBJECT });
    const eventId = await suite.putEvent([targetId]);
    suite.started(dispatcherOf(suite.region));
    await waitFor("delivered", async () => (await deliveriesOf(suite.region.deps.db, eventId))[0]?.status === "delivered");
    const stored = await jsm.streams.getMessage(STREAM, { last_by_subj: SUBJECT });
    expect(stored).not.toBeNull();
    expect(stored!.header.get("Nats-Msg-Id")).toBe(eventId);
    expect(stored!.header.get("x-s3gw-event-id")).toBe(eventId);
    expect(stored!.header.get("x-s3gw-event-name")).toBe("s3:ObjectCreated:Put");
    const msg = stored!.json<{ id: string; customer_id: string; Records: { eventName: string; s3: { object: { key: string } } }[] }>();
    expect(msg).toMatchObject({ id: eventId, customer_id: CUSTOMER });
    expect(msg.Records[0]).toMatchObject({ eventName: "ObjectCreated:Put", s3: { object: { key: "docs/report+1.pdf" } } });

    // A crash after the publish but before it was recorded: the delivery is pending again and sent again.
    await suite.region.deps.db.update(notificationDeliveries).set({ status: "pending", deliveredAt: null }).where(eq(notificationDeliveries.eventId, eventId));
    await waitFor("delivered again", async () => {
      const [d] = await deliveriesOf(suite.region.deps.db, eventId);
      return d?.status === "delivered" && d.attempts === 2;
    });
    // The stream's duplicate window kept one copy.
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(1);
  });

  it("keeps one connection per target and reconnects after losing it", async () => {
    // A TCP relay in front of NATS, so the test can cut the dispatcher's connection.
    const sockets = new Set<Socket>();
    let accepted = 0;
    const relay = createServer((client) => {
      accepted++;
      const upstream = netConnect(4222, "127.0.0.1");
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => {
          sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    try {
      const subject = `h-dispatch.${tag}.relayed`;
      const targetId = await insertNatsTarget(suite.region, { stream: STREAM, subject, servers: [`127.0.0.1:${(relay.address() as AddressInfo).port}`] });
      suite.started(dispatcherOf(suite.region));
      const before = [await suite.putEvent([targetId], "r1"), await suite.putEvent([targetId], "r2"), await suite.putEvent([targetId], "r3")];
      for (const id of before) await waitFor("delivered", async () => (await deliveriesOf(suite.region.deps.db, id))[0]?.status === "delivered");
      expect(accepted).toBe(1);
      for (const s of sockets) s.destroy();
      const after = await suite.putEvent([targetId], "r4");
      await waitFor("delivered after the reconnect", async () => (await deliveriesOf(suite.region.deps.db, after))[0]?.status === "delivered");
      expect(accepted).toBe(2);
      const stored = await jsm.streams.getMessage(STREAM, { last_by_subj: subject });
      expect(stored!.header.get("Nats-Msg-Id")).toBe(after);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });

  it("fails a publish whose subject another stream captures, rather than delivering it there", async () => {
    const targetId = await insertNatsTarget(suite.region, { stream: STREAM, subject: `h-dispatch-other.${tag}.events` });
    const eventId = await suite.putEvent([targetId]);
    suite.started(dispatcherOf(suite.region, { retryBaseMs: 60_000, retryMaxMs: 60_000 }));
    const failed = await waitFor("a failed attempt", async () => {
      const [d] = await deliveriesOf(suite.region.deps.db, eventId);
      return d?.lastError ? d : undefined;
    });
    expect(failed.status).toBe("pending");
    expect(failed.lastError).toBe("JetStream publish failed: expected stream does not match");
    await settle();
    expect((await jsm.streams.info(OTHER_STREAM)).state.messages).toBe(0);
  });

  it("refuses to use credentials that are neither {user, pass} nor {token}, without showing them", async () => {
    const targetId = await insertNatsTarget(suite.region, { stream: STREAM, subject: SUBJECT, credentials: JSON.stringify({ password: "hunter2-secret" }) });
    const eventId = await suite.putEvent([targetId]);
    suite.started(dispatcherOf(suite.region, { retryBaseMs: 60_000, retryMaxMs: 60_000 }));
    const failed = await waitFor("a failed attempt", async () => {
      const [d] = await deliveriesOf(suite.region.deps.db, eventId);
      return d?.lastError ? d : undefined;
    });
    expect(failed.lastError).toBe("the target's credentials are neither {user, pass} nor {token}");
  });
});
