import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import type { NatsTargetConfig } from "@s3gw/schema-regional";
import { z } from "zod";
import { DeliveryError, messageHeaders, type EventSender, type OutgoingMessage } from "./message.ts";

/** A NATS target's sealed secret, opened: user and password, or a token. */
const credentialsSchema = z.union([z.object({ user: z.string().min(1), pass: z.string() }).strict(), z.object({ token: z.string().min(1) }).strict()]);

function parseCredentials(secret: string | undefined): { user: string; pass: string } | { token: string } | Record<string, never> {
  if (secret === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(secret);
  } catch {
    throw new DeliveryError("the target's credentials are not JSON");
  }
  const parsed = credentialsSchema.safeParse(json);
  if (!parsed.success) throw new DeliveryError("the target's credentials are neither {user, pass} nor {token}");
  return parsed.data;
}

/**
 * Publishes a target's messages to JetStream over one connection, opened on first use and
 * kept: the client reconnects by itself after a lost connection (publishes meanwhile time out
 * and are retried by the dispatcher), and a connection that closed for good is reopened on
 * the next publish. `msgID` is the event id, so the stream's duplicate window drops a second
 * copy of a retried message; `expect.streamName` makes a subject captured by another stream a
 * failure rather than a silent delivery to the wrong place.
 */
export class NatsPublisher implements EventSender {
  private connection: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;
  private closed = false;
  private readonly config: NatsTargetConfig;
  private readonly secret: string | undefined;
  private readonly clientName: string;

  constructor(config: NatsTargetConfig, secret: string | undefined, clientName: string) {
    this.config = config;
    this.secret = secret;
    this.clientName = clientName;
  }

  private connected(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    if (!this.connection) {
      const opening = (async () => {
        const nc = await connect({
          servers: this.config.servers,
          ...parseCredentials(this.secret),
          name: this.clientName,
          timeout: this.config.timeoutMs,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1000,
        });
        void nc.closed().then(() => {
          if (this.connection === opening) this.connection = undefined;
        });
        return { nc, js: jetstream(nc, { timeout: this.config.timeoutMs }) };
      })();
      this.connection = opening;
      opening.catch(() => {
        if (this.connection === opening) this.connection = undefined;
      });
    }
    return this.connection;
  }

  async send(message: OutgoingMessage): Promise<void> {
    if (this.closed) throw new DeliveryError("the dispatcher is stopping");
    let js: JetStreamClient;
    try {
      ({ js } = await this.connected());
    } catch (err) {
      if (err instanceof DeliveryError) throw err;
      throw new DeliveryError(`cannot connect to NATS: ${(err as Error).message}`);
    }
    const h = headers();
    for (const [name, value] of Object.entries(messageHeaders(message))) h.set(name, value);
    try {
      await js.publish(this.config.subject, message.body, {
        msgID: message.eventId,
        expect: { streamName: this.config.stream },
        headers: h,
        timeout: this.config.timeoutMs,
      });
    } catch (err) {
      throw new DeliveryError(`JetStream publish failed: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    const open = await connection?.catch(() => undefined);
    await open?.nc.close().catch(() => undefined);
  }
}
