import type { NatsTargetConfig, WebhookTargetConfig } from "@s3gw/schema-regional";
import type { Logger } from "pino";
import type { RegionalConfig } from "../../../config.ts";
import type { Clock, RegionalDb } from "../../../env.ts";
import type { GatewayMetrics } from "../../ops/metrics.ts";
import { openTargetSecret, targetKeyRing } from "../target-secrets.ts";
import { retryDelayMs } from "./backoff.ts";
import { dueDeliveries, markDelivered, markFailed, type DueDelivery } from "./due-deliveries.ts";
import type { TargetRow } from "./fan-out.ts";
import { DeliveryError, outgoingMessage, type EventSender } from "./message.ts";
import { NatsPublisher } from "./nats-publisher.ts";
import type { EventDispatcherSettings } from "./settings.ts";
import { WebhookSender } from "./webhook-sender.ts";

export interface LaneDeps {
  db: RegionalDb;
  config: Pick<RegionalConfig, "region" | "masterKeys">;
  settings: EventDispatcherSettings;
  metrics: GatewayMetrics;
  logger: Logger;
  clock: Clock;
  /** False once the dispatcher stops or loses its lease: a lane then starts nothing new. */
  mayWork: () => boolean;
}

/** The transport of a target, with its secret opened; a target that cannot be set up fails each attempt with why. */
function senderFor(deps: LaneDeps, target: TargetRow): EventSender {
  const secret = target.sealedSecret === null ? undefined : openTargetSecret(targetKeyRing(deps.config), target.targetId, target.sealedSecret);
  if (target.kind === "webhook") {
    if (secret === undefined) throw new DeliveryError("the webhook target has no signing secret");
    return new WebhookSender(target.config as WebhookTargetConfig, secret);
  }
  return new NatsPublisher(target.config as NatsTargetConfig, secret, `s3gw-events-${deps.config.region.region_id}-${target.targetId}`);
}

/**
 * One target's deliveries: up to `targetConcurrency` in flight, each of a different ordering
 * key, each bounded by the target's own timeout. Sends are never awaited by the dispatcher's
 * tick, so a hung target fills its own lane and nobody else's.
 */
export class TargetLane {
  private readonly inFlight = new Map<string, Promise<void>>();
  private sender: EventSender | DeliveryError | undefined;
  private readonly version: string;
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private stopping = false;
  private readonly deps: LaneDeps;
  readonly target: TargetRow;

  constructor(deps: LaneDeps, target: TargetRow) {
    this.deps = deps;
    this.target = target;
    this.version = JSON.stringify([target.kind, target.config, target.sealedSecret]);
  }

  /** Whether `row` is the same target configuration as this lane's (a changed one gets a new lane). */
  sameAs(row: TargetRow): boolean {
    return JSON.stringify([row.kind, row.config, row.sealedSecret]) === this.version;
  }

  get busy(): number {
    return this.inFlight.size;
  }

  /**
   * Starts the due deliveries this lane has room for; resolves once they are started, not sent.
   * One pump at a time (two would both pick the same delivery); a pump asked for meanwhile runs
   * right after.
   */
  pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.pumpAgain = false;
          await this.startDue();
        } while (this.pumpAgain && this.active());
      } finally {
        this.pumping = undefined;
      }
    })();
    return this.pumping;
  }

  private active(): boolean {
    return !this.stopping && this.deps.mayWork();
  }

  private async startDue(): Promise<void> {
    const room = this.deps.settings.targetConcurrency - this.inFlight.size;
    const due = await dueDeliveries(this.deps.db, this.target.targetId, [...this.inFlight.keys()], room);
    for (const delivery of due) {
      const attempt = this.attempt(delivery).finally(() => {
        this.inFlight.delete(delivery.orderingKey);
        // A freed slot is refilled at once, not at the next tick: a busy target is not held to one round per poll interval.
        if (this.active()) this.pump().catch((err: Error) => this.deps.logger.warn({ err: err.message, targetId: this.target.targetId }, "event lane refill failed"));
      });
      this.inFlight.set(delivery.orderingKey, attempt);
    }
  }

  private transport(): EventSender {
    if (this.sender === undefined) {
      try {
        this.sender = senderFor(this.deps, this.target);
      } catch (err) {
        this.sender = err instanceof DeliveryError ? err : new DeliveryError(`the target cannot be set up: ${(err as Error).message}`);
      }
    }
    if (this.sender instanceof DeliveryError) throw this.sender;
    return this.sender;
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const { db, settings, metrics, logger, clock } = this.deps;
    const targetId = this.target.targetId;
    try {
      const message = outgoingMessage(delivery.event, { region: this.deps.config.region.region_id, targetId }, clock.now());
      await this.transport().send(message);
    } catch (err) {
      const error = err instanceof DeliveryError ? err.message : "internal error preparing the message";
      if (!(err instanceof DeliveryError)) logger.error({ err: (err as Error).message, targetId, deliveryId: delivery.deliveryId }, "event delivery failed unexpectedly");
      const retryInMs = retryDelayMs(delivery.attempts + 1, { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs });
      const status = await markFailed(db, delivery.deliveryId, error, { retryInMs, maxAgeSeconds: settings.maxAgeSeconds }).catch((e: Error) => {
        logger.warn({ err: e.message, deliveryId: delivery.deliveryId }, "could not record a failed event delivery");
        return undefined;
      });
      metrics.countEventDelivery(targetId, "failed");
      if (status === "dead") {
        metrics.countEventDelivery(targetId, "dead");
        logger.warn({ targetId, deliveryId: delivery.deliveryId, eventId: delivery.event.eventId, attempts: delivery.attempts + 1, error }, "event delivery dead-lettered");
      }
      return;
    }
    metrics.countEventDelivery(targetId, "delivered");
    // Not recorded (database down): the delivery stays pending and is sent again, which the receiver dedupes.
    await markDelivered(db, delivery.deliveryId).catch((e: Error) => logger.warn({ err: e.message, deliveryId: delivery.deliveryId }, "could not record a delivered event"));
  }

  /** Waits for the sends in flight, at most `timeoutMs`, then closes the transport. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    await this.pumping;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight.values()]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    if (this.sender && !(this.sender instanceof DeliveryError)) await this.sender.close();
  }
}
