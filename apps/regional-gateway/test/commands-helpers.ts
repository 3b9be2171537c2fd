import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { postgresClient } from "@s3gw/db";
import type postgres from "postgres";
import { expect } from "vitest";
import { commandConsumerConfig, type CommandConsumerConfig } from "../src/services/events/commands/config.ts";
import { startCommandConsumer } from "../src/services/events/commands/consumer.ts";
import { startTestRegion, type TestRegion } from "./harness.ts";

export const NATS_SERVER = "127.0.0.1:4222";
export const KEY_ID = "issuer-1";
export const KEY = randomBytes(32);

/** The signature header as an issuer computes it: HMAC-SHA256 of the exact body bytes. */
export const signature = (body: string | Uint8Array, keyId = KEY_ID, key = KEY) => `v1,key=${keyId},sig=${createHmac("sha256", key).update(body).digest("hex")}`;

export interface CommandBody { id: string; type: string; issued_at: string; region: string; customer_id: string; data: Record<string, unknown> }

export function command(type: string, customerId: string, data: Record<string, unknown>, overrides: Partial<CommandBody> = {}): CommandBody {
  return { id: `cmd-${randomUUID()}`, type, issued_at: new Date().toISOString(), region: "FI-HEL", customer_id: customerId, data, ...overrides };
}

/**
 * A region with a command consumer on a stream and subject of this test file's own (the
 * consumer creates the stream; `destroy` deletes it), and a NATS client to publish with.
 */
export interface CommandsFixture {
  region: TestRegion;
  sql: postgres.Sql;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  config: CommandConsumerConfig;
  consumer: { stop(): Promise<void> };
  /** Publishes a body (signed unless `sig` is given; null: unsigned) with a fresh NATS message id; returns its stream sequence. */
  publish(body: CommandBody | string, sig?: string | null): Promise<number>;
  /** Resolves once the durable consumer has acknowledged everything up to `seq`. */
  acked(seq: number): Promise<void>;
  destroy(): Promise<void>;
}

export async function startCommandsFixture(name: string, env: Record<string, string> = {}): Promise<CommandsFixture> {
  const unique = `${name}_${randomBytes(4).toString("hex")}`;
  const config = commandConsumerConfig({
    COMMANDS_NATS_SERVERS: NATS_SERVER,
    COMMANDS_STREAM: `H_COMMANDS_${unique}`,
    COMMANDS_SUBJECT: `h-commands.${unique}.commands`,
    COMMANDS_DURABLE: `h-commands-${unique}`,
    COMMANDS_HMAC_KEYS: `${KEY_ID}:${KEY.toString("base64")}`,
    COMMANDS_RETRY_DELAY_MS: "50",
    ...env,
  }, "FI-HEL")!;
  const region = await startTestRegion("FI-HEL");
  const sql = postgresClient(region.databaseUrl, { max: 2 });
  const nc = await connect({ servers: NATS_SERVER });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const consumer = await startCommandConsumer(region.deps, config);
  return {
    region, sql, nc, js, jsm, config, consumer,
    async publish(body, sig) {
      const raw = typeof body === "string" ? body : JSON.stringify(body);
      const h = headers();
      const value = sig === undefined ? signature(raw) : sig;
      if (value !== null) h.set("s3gw-signature", value);
      return (await js.publish(config.subject, raw, { headers: h, msgID: randomUUID() })).seq;
    },
    async acked(seq) {
      await until(async () => (await jsm.consumers.info(config.stream, config.durable)).ack_floor.stream_seq >= seq, `consumer acked through ${seq}`);
    },
    async destroy() {
      await consumer.stop();
      await jsm.streams.delete(config.stream).catch(() => false);
      await nc.close();
      await sql.end();
      await region.destroy();
    },
  };
}

export async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface AuditRow { request_id: string; customer_id: string | null; operation_type: string; bucket_name: string | null; object_key: string | null; result: string; error_code: string | null; principal: string | null; compliance_info: Record<string, any> }

export const auditOf = (sql: postgres.Sql, requestId: string) =>
  sql<AuditRow[]>`select request_id, customer_id, operation_type, bucket_name, object_key, result, error_code, principal, compliance_info from operations_log where request_id = ${requestId} order by id`;

export async function processedRow(sql: postgres.Sql, eventId: string) {
  const [row] = await sql<{ command: string; outcome: string; detail: Record<string, any> }[]>`select command, outcome, detail from processed_events where event_id = ${eventId}`;
  return row;
}

export async function put(client: (path: string, init?: RequestInit & { headers?: Record<string, string> }) => Promise<Response>, path: string, body: string, hdrs: Record<string, string> = {}): Promise<string | null> {
  const res = await client(path, { method: "PUT", body, headers: { "content-type": "application/octet-stream", ...hdrs } });
  expect(res.status, await res.text()).toBe(200);
  return res.headers.get("x-amz-version-id");
}
