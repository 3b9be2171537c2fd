import { z } from "zod";

/** How the region consumes its commands from NATS JetStream (COMMANDS_* in the environment). */
export interface CommandConsumerConfig {
  servers: string[];
  /**
   * The stream is the operator's: it is created (capturing the subject and the dead-letter
   * subject) only when it does not exist; an existing one is used as it is.
   */
  stream: string;
  subject: string;
  /** One durable consumer shared by every gateway instance of the region (load-balanced). */
  durable: string;
  deadLetterSubject: string;
  /** HMAC-SHA256 keys by key id; a command names its key in its signature header. */
  hmacKeys: ReadonlyMap<string, Buffer>;
  /** A command issued further than this from the time it entered the stream is refused (replay). */
  maxAgeSeconds: number;
  /** At this delivery a command that still fails goes to the dead-letter subject. */
  maxDeliver: number;
  /** The delay of the first retry; it doubles with each delivery, up to five minutes. */
  retryDelayMs: number;
  /** The ack wait of the consumer when it is created here; a command in progress says so well within it. */
  ackWaitMs: number;
}

export const MIN_COMMAND_KEY_BYTES = 32;
const KEY_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
// A literal subject (no wildcards): the consumer filters on it and the dead letters go to one.
const SUBJECT_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;

const envSchema = z.object({
  COMMANDS_NATS_SERVERS: z.string().transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^\S+$/, "a server has no whitespace")).min(1, "name at least one server")),
  COMMANDS_STREAM: z.string().regex(NAME_RE, "letters, digits, _ and - only").optional(),
  COMMANDS_SUBJECT: z.string().regex(SUBJECT_RE, "a subject without wildcards").optional(),
  COMMANDS_DURABLE: z.string().regex(NAME_RE, "letters, digits, _ and - only").optional(),
  COMMANDS_HMAC_KEYS: z.string({ error: "required when COMMANDS_NATS_SERVERS is set" }).trim().min(1, "required when COMMANDS_NATS_SERVERS is set"),
  COMMANDS_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  COMMANDS_MAX_DELIVER: z.coerce.number().int().min(1).max(100).default(5),
  COMMANDS_DEAD_LETTER_SUBJECT: z.string().regex(SUBJECT_RE, "a subject without wildcards").optional(),
  COMMANDS_RETRY_DELAY_MS: z.coerce.number().int().min(0).max(300_000).default(5_000),
  COMMANDS_ACK_WAIT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
});

/** `<key id>:<base64 of at least 32 bytes>`, comma separated. */
export function parseCommandKeys(raw: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const entry of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(":");
    const id = colon > 0 ? entry.slice(0, colon) : "";
    if (!KEY_ID_RE.test(id)) throw new Error("each key is <key id>:<base64>, the id of letters, digits, '.', '_' or '-' (at most 64)");
    const b64 = entry.slice(colon + 1);
    const key = Buffer.from(b64, "base64");
    // Buffer.from skips what is not base64; a key that does not survive the round trip was mistyped.
    if (key.toString("base64").replace(/=+$/, "") !== b64.replace(/=+$/, "")) throw new Error(`key ${id} is not base64`);
    if (key.length < MIN_COMMAND_KEY_BYTES) throw new Error(`key ${id} has ${key.length} bytes; at least ${MIN_COMMAND_KEY_BYTES} are needed`);
    if (keys.has(id)) throw new Error(`key id ${id} appears twice`);
    keys.set(id, key);
  }
  if (keys.size === 0) throw new Error("no key given");
  return keys;
}

/** The consumer's configuration, or undefined when COMMANDS_NATS_SERVERS is unset (no consumer); throws a readable error. */
export function commandConsumerConfig(env: NodeJS.ProcessEnv, regionId: string): CommandConsumerConfig | undefined {
  if (!env.COMMANDS_NATS_SERVERS?.trim()) return undefined;
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`).join("; ")}`);
  }
  const e = parsed.data;
  let hmacKeys: Map<string, Buffer>;
  try {
    hmacKeys = parseCommandKeys(e.COMMANDS_HMAC_KEYS);
  } catch (err) {
    throw new Error(`invalid configuration: COMMANDS_HMAC_KEYS: ${(err as Error).message}`);
  }
  const subject = e.COMMANDS_SUBJECT ?? `s3gw.${regionId}.commands`;
  const deadLetterSubject = e.COMMANDS_DEAD_LETTER_SUBJECT ?? `${subject}.dead`;
  if (deadLetterSubject === subject) throw new Error("invalid configuration: COMMANDS_DEAD_LETTER_SUBJECT must differ from COMMANDS_SUBJECT");
  return {
    servers: e.COMMANDS_NATS_SERVERS,
    stream: e.COMMANDS_STREAM ?? `S3GW_${regionId}_COMMANDS`.replace(/[^A-Za-z0-9_]/g, "_"),
    subject,
    durable: e.COMMANDS_DURABLE ?? `s3gw-${regionId}`,
    deadLetterSubject,
    hmacKeys,
    maxAgeSeconds: e.COMMANDS_MAX_AGE_SECONDS,
    maxDeliver: e.COMMANDS_MAX_DELIVER,
    retryDelayMs: e.COMMANDS_RETRY_DELAY_MS,
    ackWaitMs: e.COMMANDS_ACK_WAIT_MS,
  };
}
