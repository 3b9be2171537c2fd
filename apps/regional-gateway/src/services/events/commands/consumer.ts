import { AckPolicy, DeliverPolicy, jetstream, JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { connect, Match, nanos } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Deps } from "../../../env.ts";
import type { CommandConsumerConfig } from "./config.ts";
import { deadLetter } from "./dead-letter.ts";
import { admitCommand, type Admission } from "./message.ts";
import { refuseCommand, runCommand } from "./run-command.ts";
import { SIGNATURE_HEADER } from "./signature.ts";

const MAX_RETRY_DELAY_MS = 5 * 60_000;
// Dead letters are kept this long in a stream created here; an operator's stream keeps its own limits.
const CREATED_STREAM_MAX_AGE_MS = 30 * 86_400_000;

const isApiError = (err: unknown, code: number) => err instanceof JetStreamApiError && err.code === code;

/** Creates the stream only when it is missing (it is the operator's), capturing the commands and their dead letters. */
async function ensureStream(jsm: JetStreamManager, config: CommandConsumerConfig, logger: Logger): Promise<void> {
  try {
    await jsm.streams.info(config.stream);
    return;
  } catch (err) {
    if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
  }
  try {
    await jsm.streams.add({ name: config.stream, subjects: [config.subject, config.deadLetterSubject], max_age: nanos(CREATED_STREAM_MAX_AGE_MS) });
    logger.info("created the command stream");
  } catch (err) {
    // Another instance of the region created it meanwhile.
    await jsm.streams.info(config.stream).catch(() => Promise.reject(err));
  }
}

/** The durable consumer every instance of the region shares; created when missing, an existing one used as it is. */
async function ensureConsumer(jsm: JetStreamManager, config: CommandConsumerConfig): Promise<void> {
  try {
    await jsm.consumers.info(config.stream, config.durable);
    return;
  } catch (err) {
    if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
  }
  // No server-side delivery limit: the Nth delivery of a failing command is dead-lettered here,
  // and one whose dead-lettering fails must stay in the stream to be tried again.
  await jsm.consumers.add(config.stream, {
    durable_name: config.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: config.subject,
    ack_wait: nanos(config.ackWaitMs),
    max_deliver: -1,
  });
}

/** The type a command claims, for its metric: a refused message's claimed type is not vouched for, but is bounded by countCommand. */
const commandType = (a: Admission | undefined): string => (a?.ok ? a.command.type : (a?.refusal.type ?? "unknown"));

const retryDelay = (config: CommandConsumerConfig, delivery: number) => Math.min(config.retryDelayMs * 2 ** Math.max(0, delivery - 1), MAX_RETRY_DELAY_MS);

/**
 * One delivered message, start to end: admitted or refused, run, and acknowledged only after
 * what it did has committed. A failure is retried after a growing delay (nak) until the last
 * allowed delivery, which dead-letters the message instead. While a command runs the server is
 * told it is in progress, so it is not handed to another instance meanwhile.
 */
async function handleDelivery(deps: Deps, config: CommandConsumerConfig, js: JetStreamClient, msg: JsMsg, logger: Logger): Promise<void> {
  const ref = `${msg.info.stream}/${msg.info.streamSequence}`;
  const keepAlive = setInterval(() => msg.working(), Math.max(500, Math.floor(config.ackWaitMs / 3)));
  let admission: Admission | undefined;
  try {
    const enteredStreamAt = new Date(Math.floor(msg.info.timestampNanos / 1e6));
    const signatures = msg.headers?.values(SIGNATURE_HEADER, Match.IgnoreCase) ?? [];
    admission = admitCommand(msg.data, signatures, enteredStreamAt, { keys: config.hmacKeys, regionId: deps.config.region.region_id, maxAgeSeconds: config.maxAgeSeconds });
    const outcome = admission.ok ? await runCommand(deps, admission.command, admission.keyId, ref) : await refuseCommand(deps, admission.refusal, ref);
    deps.metrics.countCommand(commandType(admission), outcome);
    logger.info({ streamRef: ref, outcome, commandId: admission.ok ? admission.command.id : undefined, delivery: msg.info.deliveryCount }, "command handled");
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const delivery = msg.info.deliveryCount;
    if (delivery < config.maxDeliver || !admission) {
      deps.metrics.countCommand(commandType(admission), "failed");
      logger.warn({ streamRef: ref, delivery, err: error.message }, "command failed; it will be retried");
      msg.nak(retryDelay(config, delivery));
      return;
    }
    try {
      await deadLetter(deps, js, config, msg, admission, error);
      deps.metrics.countCommand(commandType(admission), "dead_lettered");
      logger.error({ streamRef: ref, delivery, err: error.message, deadLetterSubject: config.deadLetterSubject }, "command dead-lettered");
    } catch (dlErr) {
      logger.error({ streamRef: ref, delivery, err: (dlErr as Error).message }, "dead-lettering failed; the command will be retried");
      msg.nak(retryDelay(config, delivery));
      return;
    }
  } finally {
    clearInterval(keepAlive);
  }
  // The ack goes only after the commit; if it is lost the redelivery is a duplicate, acknowledged without running.
  await msg.ackAck().catch((err: Error) => logger.warn({ streamRef: ref, err: err.message }, "command ack not confirmed"));
}

/**
 * Subscribes the region to its commands (the durable pull consumer on the command subject) and
 * handles them one at a time. `stop()` stops pulling, lets the message in hand finish (run and
 * acknowledged), then drains the connection.
 */
export async function startCommandConsumer(deps: Deps, config: CommandConsumerConfig): Promise<{ stop(): Promise<void> }> {
  const logger = deps.logger.child({ component: "command-consumer", stream: config.stream, subject: config.subject, durable: config.durable });
  const nc = await connect({ servers: config.servers, name: `s3gw-${deps.config.region.region_id}-commands`, maxReconnectAttempts: -1 });
  let messages;
  let js: JetStreamClient;
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, config, logger);
    await ensureConsumer(jsm, config);
    js = jetstream(nc);
    // One message pulled at a time: a stopping instance holds at most the one it is running.
    messages = await (await js.consumers.get(config.stream, config.durable)).consume({ max_messages: 1 });
  } catch (err) {
    await nc.close();
    throw err;
  }
  const pulled = messages;
  const loop = (async () => {
    for await (const msg of pulled) await handleDelivery(deps, config, js, msg, logger);
  })().catch((err: unknown) => logger.error({ err: (err as Error).message }, "command consumer failed"));
  logger.info("consuming commands");
  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        await pulled.close();
        await loop;
        await nc.drain();
        logger.info("command consumer stopped");
      })()),
  };
}
