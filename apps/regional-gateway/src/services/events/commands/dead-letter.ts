import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { headers, Match } from "@nats-io/transport-node";
import type { Deps } from "../../../env.ts";
import { recordCommandAudit } from "./command-audit.ts";
import type { CommandConsumerConfig } from "./config.ts";
import type { Admission } from "./message.ts";
import { recordDeadLettered } from "./processed.ts";
import { commandRun } from "./run-command.ts";
import { SIGNATURE_HEADER } from "./signature.ts";

/** Header values are one line; an error message is kept to a readable length. */
const headerText = (s: string) => s.replace(/[\r\n]+/g, " ").slice(0, 1000);

/**
 * Gives up on a command that failed at its last allowed delivery: the original body and
 * signature go to the dead-letter subject with the error, through JetStream (the stream created
 * here captures that subject; an operator's stream must too, or the publication fails and the
 * command is retried instead of being lost). The message id makes a repeated dead-lettering of
 * one stream message (a crash before the ack) a duplicate the stream drops. Then the command is
 * recorded as dead_lettered (when its signature vouches for its id) and audited.
 */
export async function deadLetter(deps: Deps, js: JetStreamClient, config: CommandConsumerConfig, msg: JsMsg, admission: Admission, error: Error): Promise<void> {
  const ref = `${msg.info.stream}/${msg.info.streamSequence}`;
  const h = headers();
  for (const sig of msg.headers?.values(SIGNATURE_HEADER, Match.IgnoreCase) ?? []) h.append(SIGNATURE_HEADER, sig);
  h.set("s3gw-dead-letter-error", headerText(error.message || error.name));
  h.set("s3gw-dead-letter-deliveries", String(msg.info.deliveryCount));
  h.set("s3gw-dead-letter-subject", msg.subject);
  h.set("s3gw-dead-letter-stream-seq", String(msg.info.streamSequence));
  await js.publish(config.deadLetterSubject, msg.data, { headers: h, msgID: `dead-letter:${ref}` });
  const detail = { error: headerText(error.message), deliveries: msg.info.deliveryCount, dead_letter_subject: config.deadLetterSubject, stream_ref: ref };
  if (admission.ok) await recordDeadLettered(deps.db, { eventId: admission.command.id, command: admission.command.type, detail, now: deps.clock.now() });
  const run = commandRun(admission.ok ? { id: admission.command.id, customerId: admission.command.customer_id, keyId: admission.keyId } : {}, ref);
  const type = admission.ok ? admission.command.type : admission.refusal.type;
  await recordCommandAudit(deps, run, { operation: `Command:${type}`, result: "error", statusCode: 500, errorCode: "CommandDeadLettered", info: detail });
}
