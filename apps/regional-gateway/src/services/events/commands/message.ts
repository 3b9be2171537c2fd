import { createHash } from "node:crypto";
import { CUSTOMER_ID_RE } from "@s3gw/core";
import { z } from "zod";
import { verifyCommandSignature, type SignatureRefusal } from "./signature.ts";

export const COMMAND_TYPES = ["subject.erasure", "customer.offboard", "entity.deleted"] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/** Printable ASCII without spaces: the id is an idempotency key and goes into audit request ids. */
const COMMAND_ID_RE = /^[\x21-\x7e]{1,128}$/;
/** Larger bodies are refused before they are parsed: no command needs more. */
export const MAX_COMMAND_BYTES = 64 * 1024;

const envelope = {
  id: z.string().regex(COMMAND_ID_RE, "1 to 128 printable ASCII characters"),
  issued_at: z.iso.datetime({ offset: true }),
  region: z.string().min(1).max(64),
  customer_id: z.string().regex(CUSTOMER_ID_RE, "malformed customer id"),
};

export const commandSchema = z.discriminatedUnion("type", [
  z.strictObject({
    ...envelope,
    type: z.literal("subject.erasure"),
    data: z.strictObject({ data_subject_id: z.string().min(1).max(256), reason: z.string().max(1000).optional() }),
  }),
  z.strictObject({
    ...envelope,
    type: z.literal("entity.deleted"),
    // An S3 tag value: up to 256 characters.
    data: z.strictObject({ entity_id: z.string().min(1).max(256), action: z.enum(["archive", "erase"]) }),
  }),
  z.strictObject({
    ...envelope,
    type: z.literal("customer.offboard"),
    data: z.strictObject({ reason: z.string().trim().min(1).max(1000), export: z.boolean().default(false) }),
  }),
]);

export type Command = z.infer<typeof commandSchema>;
export type SubjectErasureCommand = Extract<Command, { type: "subject.erasure" }>;
export type EntityDeletedCommand = Extract<Command, { type: "entity.deleted" }>;
export type CustomerOffboardCommand = Extract<Command, { type: "customer.offboard" }>;

export type RefusalCode = SignatureRefusal | "CommandTooLarge" | "CommandMalformed" | "CommandWrongRegion" | "CommandStale";

/** A command not carried out, and what may be believed about it. */
export interface Refusal {
  code: RefusalCode;
  reason: string;
  /** The operation name's type: the claimed one when it is a known type, else "unknown". */
  type: CommandType | "unknown";
  /**
   * The processed_events key: the command's id when its signature vouches for it; otherwise
   * derived from the body, so an unsigned message can never claim (and so block) a real id.
   */
  eventId: string | undefined;
  /** Set only when the signature vouches for the command: its id, key and customer. */
  signed?: { id?: string | undefined; keyId: string; customerId?: string | undefined };
}

export type Admission = { ok: true; command: Command; keyId: string } | { ok: false; refusal: Refusal };

export interface AdmissionRules {
  keys: ReadonlyMap<string, Buffer>;
  regionId: string;
  maxAgeSeconds: number;
}

function parseJson(raw: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(raw).toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

const field = (body: unknown, name: string): unknown => (body !== null && typeof body === "object" ? (body as Record<string, unknown>)[name] : undefined);
const claimedType = (body: unknown): Refusal["type"] => (COMMAND_TYPES as readonly unknown[]).includes(field(body, "type")) ? (field(body, "type") as CommandType) : "unknown";
const claimedId = (body: unknown) => (typeof field(body, "id") === "string" && COMMAND_ID_RE.test(field(body, "id") as string) ? (field(body, "id") as string) : undefined);
const claimedCustomer = (body: unknown) => (typeof field(body, "customer_id") === "string" && CUSTOMER_ID_RE.test(field(body, "customer_id") as string) ? (field(body, "customer_id") as string) : undefined);

/**
 * Whether a delivered command may run: signed by a configured key, well formed, for this
 * region, and issued within the maximum age of `enteredStreamAt` (the time JetStream stored
 * it, so retries of a command do not go stale while a re-publication of an old one does).
 */
export function admitCommand(raw: Uint8Array, signatures: string[], enteredStreamAt: Date, rules: AdmissionRules): Admission {
  const unsigned = (code: RefusalCode, reason: string, body?: unknown): Admission => ({
    ok: false,
    refusal: { code, reason, type: claimedType(body), eventId: `unauthenticated:${createHash("sha256").update(raw).digest("hex")}` },
  });
  if (raw.length > MAX_COMMAND_BYTES) return unsigned("CommandTooLarge", `the body has ${raw.length} bytes; at most ${MAX_COMMAND_BYTES}`);
  const body = parseJson(raw);
  const sig = verifyCommandSignature(raw, signatures, rules.keys);
  if (!sig.ok) return unsigned(sig.code, sig.reason, body);
  const signed = (code: RefusalCode, reason: string): Admission => {
    const id = claimedId(body);
    return { ok: false, refusal: { code, reason, type: claimedType(body), eventId: id, signed: { id, keyId: sig.keyId, customerId: claimedCustomer(body) } } };
  };
  if (body === undefined) return signed("CommandMalformed", "the body is not JSON");
  const parsed = commandSchema.safeParse(body);
  if (!parsed.success) {
    return signed("CommandMalformed", parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
  }
  const command = parsed.data;
  if (command.region !== rules.regionId) return signed("CommandWrongRegion", `the command is for region ${command.region}; this is ${rules.regionId}`);
  const skewMs = Math.abs(enteredStreamAt.getTime() - Date.parse(command.issued_at));
  if (skewMs > rules.maxAgeSeconds * 1000) {
    return signed("CommandStale", `issued ${Math.round(skewMs / 1000)} s from its publication; at most ${rules.maxAgeSeconds} s`);
  }
  return { ok: true, command, keyId: sig.keyId };
}
