import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../src/services/events/dispatch/backoff.ts";
import { verifyEventSignature } from "../src/services/events/dispatch/message.ts";
import { CUSTOMER, deliveriesOf, dispatcherOf, insertWebhookTarget, settle, startReceiver, useDispatchRegion, waitFor } from "./events-dispatch-helpers.ts";

const suite = useDispatchRegion();
const started = suite.started;
const putEvent = (targetIds: string[]) => suite.putEvent(targetIds);

describe("event dispatch to webhooks", () => {
  it("delivers an event exactly once, signed, in S3's message shape", async () => {
    const receiver = await startReceiver();
    try {
      const { targetId, secret } = await insertWebhookTarget(suite.region, { url: receiver.url });
      const eventId = await putEvent([targetId]);
      started(dispatcherOf(suite.region));
      const [delivery] = await waitFor("delivered", async () => {
        const rows = await deliveriesOf(suite.region.deps.db, eventId);
        return rows[0]?.status === "delivered" ? rows : undefined;
      });
      await settle();
      expect(receiver.received).toHaveLength(1);
      const got = receiver.received[0]!;
      expect(got.headers["content-type"]).toBe("application/json");
      expect(got.headers["x-s3gw-event-id"]).toBe(eventId);
      expect(got.headers["x-s3gw-event-name"]).toBe("s3:ObjectCreated:Put");
      const signed = { timestamp: got.headers["x-s3gw-timestamp"] as string, signature: got.headers["x-s3gw-signature"] as string };
      expect(verifyEventSignature(secret, signed, got.body, { now: new Date(), toleranceSeconds: 300 })).toBe(true);
      // Tampering: another body, another secret or a shifted timestamp does not verify.
      expect(verifyEventSignature(secret, signed, got.body.replace("documents", "document5"), { now: new Date(), toleranceSeconds: 300 })).toBe(false);
      expect(verifyEventSignature("0".repeat(64), signed, got.body, { now: new Date(), toleranceSeconds: 300 })).toBe(false);
      expect(verifyEventSignature(secret, { ...signed, timestamp: String(Number(signed.timestamp) + 1) }, got.body, { now: new Date(), toleranceSeconds: 300 })).toBe(false);
      const msg = JSON.parse(got.body);
      expect(msg).toMatchObject({ id: eventId, region: "FI-HEL", customer_id: CUSTOMER });
      expect(msg.Records[0]).toMatchObject({
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: "FI-HEL",
        eventName: "ObjectCreated:Put",
        userIdentity: { principalId: "AKIATEST" },
        requestParameters: { sourceIPAddress: "127.0.0.1" },
        s3: { configurationId: "cfg-1", bucket: { name: "documents" }, object: { key: "docs/report+1.pdf", size: 11, eTag: "abc123" } },
      });
      expect(delivery).toMatchObject({ attempts: 1, lastError: null });
      expect(delivery!.deliveredAt).toBeInstanceOf(Date);
    } finally {
      await receiver.close();
    }
  });

  it("retries a failing webhook with backoff, then dead-letters it after the maximum age", async () => {
    const receiver = await startReceiver(() => 500);
    try {
      const { targetId } = await insertWebhookTarget(suite.region, { url: `${receiver.url}?token=do-not-leak-me` });
      const eventId = await putEvent([targetId]);
      started(dispatcherOf(suite.region, { maxAgeSeconds: 1, retryBaseMs: 50, retryMaxMs: 200 }));
      const retrying = await waitFor("a retry scheduled", async () => {
        const [d] = await deliveriesOf(suite.region.deps.db, eventId);
        return d && d.status === "pending" && d.attempts >= 1 ? d : undefined;
      });
      // The next attempt waits (full jitter: anywhere up to the exponential ceiling, never past the cap).
      expect(retrying.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(retrying.lastAttemptAt!.getTime());
      expect(retrying.nextAttemptAt.getTime() - retrying.lastAttemptAt!.getTime()).toBeLessThanOrEqual(200 + 50);
      const dead = await waitFor("dead", async () => {
        const [d] = await deliveriesOf(suite.region.deps.db, eventId);
        return d?.status === "dead" ? d : undefined;
      });
      expect(dead.attempts).toBeGreaterThanOrEqual(2);
      expect(dead.lastError).toBe("HTTP 500");
      await settle();
      // Every attempt reached the receiver, and nothing is sent once dead.
      expect(receiver.received.length).toBe(dead.attempts);
    } finally {
      await receiver.close();
    }
  });

  it("records why a target cannot be reached, without its URL", async () => {
    const receiver = await startReceiver();
    const url = `${receiver.url}?token=do-not-leak-me`;
    await receiver.close();
    const { targetId } = await insertWebhookTarget(suite.region, { url });
    const eventId = await putEvent([targetId]);
    started(dispatcherOf(suite.region, { retryBaseMs: 60_000, retryMaxMs: 60_000 }));
    const failed = await waitFor("a failed attempt", async () => {
      const [d] = await deliveriesOf(suite.region.deps.db, eventId);
      return d?.lastError ? d : undefined;
    });
    expect(failed.lastError).toBe("connection failed: ECONNREFUSED");
    expect(failed.status).toBe("pending");
  });

  it("treats a redirect as a failure and does not follow it", async () => {
    const healthy = await startReceiver();
    const redirecting = await startReceiver(() => 307);
    try {
      const { targetId } = await insertWebhookTarget(suite.region, { url: redirecting.url });
      const eventId = await putEvent([targetId]);
      started(dispatcherOf(suite.region, { retryBaseMs: 60_000, retryMaxMs: 60_000 }));
      const failed = await waitFor("a failed attempt", async () => {
        const [d] = await deliveriesOf(suite.region.deps.db, eventId);
        return d?.lastError ? d : undefined;
      });
      expect(failed.lastError).toBe("HTTP 307");
      expect(healthy.received).toHaveLength(0);
    } finally {
      await healthy.close();
      await redirecting.close();
    }
  });

  it("computes backoff exponentially with full jitter, capped", () => {
    const opts = { baseMs: 1000, maxMs: 300_000 };
    expect(retryDelayMs(1, opts, () => 0.999)).toBe(999);
    expect(retryDelayMs(3, opts, () => 0.999)).toBe(3996);
    expect(retryDelayMs(40, opts, () => 0.999)).toBe(299_700);
    expect(retryDelayMs(5, opts, () => 0)).toBe(0);
  });
});
