import { randomBytes, randomUUID } from "node:crypto";
import { connect, headers } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, expect, it } from "vitest";
import { commandConsumerConfig } from "../src/services/events/commands/config.ts";
import { command, KEY, KEY_ID, NATS_SERVER, processedRow, signature, until } from "./commands-helpers.ts";
import { register, startTestRegion, type TestRegion } from "./harness.ts";
import { postgresClient } from "@s3gw/db";

// The composition root runs the consumer: a gateway started with COMMANDS_* consumes its
// commands, and a gateway whose NATS is unreachable starts and serves anyway (the consumer
// keeps retrying in the background; commands wait in the stream).
const regions: TestRegion[] = [];
afterAll(async () => {
  for (const r of regions) await r.destroy();
});

const env = (unique: string, servers = NATS_SERVER) => ({
  COMMANDS_NATS_SERVERS: servers,
  COMMANDS_STREAM: `WIRING_${unique}`,
  COMMANDS_SUBJECT: `wiring.${unique}.commands`,
  COMMANDS_DURABLE: `wiring-${unique}`,
  COMMANDS_HMAC_KEYS: `${KEY_ID}:${KEY.toString("base64")}`,
});

it("a gateway started with COMMANDS_* consumes its commands, and stops cleanly", async () => {
  const unique = randomBytes(4).toString("hex");
  const config = commandConsumerConfig(env(unique), "FI-HEL")!;
  const region = await startTestRegion("FI-HEL", { commands: config });
  regions.push(region);
  expect((await register(region.url, "wired-co")).status).toBe(201);
  const nc = await connect({ servers: NATS_SERVER });
  const sql = postgresClient(region.databaseUrl, { max: 1 });
  try {
    const jsm = await jetstreamManager(nc);
    await until(async () => (await jsm.streams.info(config.stream).then(() => true, () => false)), "the stream created by the consumer");
    const body = JSON.stringify(command("customer.offboard", "wired-co", {}));
    const h = headers();
    h.set("s3gw-signature", signature(body));
    await jetstream(nc).publish(config.subject, body, { headers: h, msgID: randomUUID() });
    const id = (JSON.parse(body) as { id: string }).id;
    await until(async () => (await processedRow(sql, id)) !== undefined, "the command recorded");
    expect((await processedRow(sql, id))!.outcome).toBe("refused");
    // Counted once the command is acknowledged, just after its row commits.
    const counted = /^s3gw_commands_total\{[^}]*type="customer\.offboard"[^}]*outcome="refused"[^}]*\} 1$/m;
    await until(async () => counted.test(await (await fetch(`${region.url}/metrics`)).text()), "the command counted in /metrics");
    await jsm.streams.delete(config.stream);
  } finally {
    await sql.end();
    await nc.close();
  }
});

it("a gateway whose NATS is unreachable starts, serves and closes without waiting for it", async () => {
  const region = await startTestRegion("FI-HEL", { commands: commandConsumerConfig(env(randomBytes(4).toString("hex"), "127.0.0.1:1"), "FI-HEL")! });
  regions.push(region);
  expect((await fetch(`${region.url}/health`)).status).toBe(200);
  const started = Date.now();
  await region.close();
  expect(Date.now() - started).toBeLessThan(5_000);
});
