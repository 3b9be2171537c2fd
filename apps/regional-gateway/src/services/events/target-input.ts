import { isCompliancePattern, resolveCountry } from "@s3gw/core";
import { z } from "zod";
import { limitParam } from "../paging.ts";

/**
 * What `POST /api/notification-targets` accepts. Every field is checked here: a target is
 * dialled by the dispatcher later, so a URL or server it cannot reach, or one carrying
 * credentials where they would be shown back (userinfo), is refused now rather than failing
 * deliveries for days.
 */

const DEFAULT_TIMEOUT_MS = 5_000;
const timeoutMs = z.number().int().min(100).max(60_000).default(DEFAULT_TIMEOUT_MS);

const country = z
  .string()
  .trim()
  .min(2)
  .max(60)
  .transform((v, ctx) => {
    const resolved = resolveCountry(v);
    if (!resolved) {
      ctx.addIssue({ code: "custom", message: `unknown country: ${v}` });
      return z.NEVER;
    }
    return resolved.code;
  });

const webhookUrl = z
  .string()
  .max(2048)
  .superRefine((raw, ctx) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: "not a URL" });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") ctx.addIssue({ code: "custom", message: "only http and https URLs" });
    // Credentials in the URL would be stored and shown in the clear; the signing secret authenticates instead.
    if (url.username || url.password) ctx.addIssue({ code: "custom", message: "a URL may not carry credentials (user:password@)" });
  });

const HOST_PORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

/** `nats://host:port` or `host:port`; credentials go in `credentials`, sealed, never in the server list. */
const natsServer = z
  .string()
  .max(300)
  .refine((s) => {
    if (s.startsWith("nats://")) {
      const rest = s.slice("nats://".length);
      return HOST_PORT.test(rest) && Number(rest.slice(rest.lastIndexOf(":") + 1)) <= 65535;
    }
    return HOST_PORT.test(s) && Number(s.slice(s.lastIndexOf(":") + 1)) <= 65535;
  }, "a server is nats://host:port or host:port (credentials go in credentials)");

/** JetStream stream names: no whitespace, dots, wildcards or path separators. */
const streamName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a stream name is 1-64 letters, digits, _ or -");

/** A literal NATS subject: dot-separated printable tokens, none empty, no wildcards (a publish needs one subject). */
const subject = z
  .string()
  .max(255)
  .refine((s) => s.split(".").every((t) => /^[!-~]+$/.test(t) && !t.includes("*") && !t.includes(">")), "a subject is dot-separated printable tokens without wildcards");

const secretText = z.string().min(1).max(1024);
const credentials = z.union([z.strictObject({ user: secretText, pass: secretText }), z.strictObject({ token: secretText })]);

const common = {
  name: z.string().trim().min(1).max(100).regex(/^[\p{L}\p{N} ._-]+$/u, "letters, digits, spaces, . _ -"),
  country,
  compliance_events: z
    .array(z.string().refine(isCompliancePattern, "not a compliance event kind or family"))
    .max(50)
    .default([])
    .transform((v) => [...new Set(v)]),
};

export const createTargetSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    ...common,
    kind: z.literal("webhook"),
    webhook: z.strictObject({ url: webhookUrl, timeout_ms: timeoutMs, secret: z.string().min(16).max(256).optional() }),
  }),
  z.strictObject({
    ...common,
    kind: z.literal("nats"),
    nats: z.strictObject({ servers: z.array(natsServer).min(1).max(10), stream: streamName, subject, timeout_ms: timeoutMs, credentials: credentials.optional() }),
  }),
]);
export type CreateTargetInput = z.infer<typeof createTargetSchema>;

export const listTargetsQuery = z.strictObject({
  limit: limitParam,
  cursor: z.string().max(500).optional(),
  include_deleted: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
});

export const deleteTargetQuery = z.strictObject({ force: z.enum(["true", "false"]).default("false").transform((v) => v === "true") });
