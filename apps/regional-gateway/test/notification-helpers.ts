import { expect } from "vitest";
import { adminAuth } from "./harness.ts";

export interface TargetBody {
  target_id: string;
  arn: string;
  name: string;
  kind: "webhook" | "nats";
  country: string;
  compliance_events: string[];
  webhook?: { url: string; timeout_ms: number };
  nats?: { servers: string[]; stream: string; subject: string; timeout_ms: number; has_credentials: boolean };
  created_by: string;
  created_at: string;
  deleted_at: string | null;
  secret?: string;
}

const json = { "content-type": "application/json" };

/** A call on the management API (POST with a JSON body unless `method` says otherwise), as the admin by default. */
export function api(url: string, path: string, opts: { method?: string; body?: unknown; auth?: Record<string, string> } = {}): Promise<Response> {
  const method = opts.method ?? (opts.body === undefined ? "GET" : "POST");
  return fetch(`${url}${path}`, { method, headers: { ...json, ...(opts.auth ?? adminAuth) }, ...(opts.body === undefined ? {} : { body: typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body) }) });
}

let counter = 0;
/** A webhook target's creation body with a unique name (overrides replace fields). */
export const webhookBody = (overrides: Record<string, unknown> = {}) => ({
  name: `hook-${process.pid}-${++counter}`,
  kind: "webhook",
  country: "FI",
  webhook: { url: "http://127.0.0.1:9/hook" },
  ...overrides,
});

/** Creates a target (asserting 201) and returns the answer. */
export async function createTarget(url: string, body: Record<string, unknown> = webhookBody()): Promise<TargetBody> {
  const res = await api(url, "/api/notification-targets", { body });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as TargetBody;
}

/** The error code and status of a refused call. */
export async function refusal(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code: string } };
  return `${res.status} ${body.error?.code ?? "-"}`;
}

/** A NotificationConfiguration document with one TopicConfiguration per entry. */
export function notificationXml(entries: { arn: string; events: string[]; id?: string; prefix?: string; suffix?: string; element?: "Topic" | "Queue" | "CloudFunction" }[]): string {
  const body = entries
    .map((e) => {
      const el = e.element ?? "Topic";
      const rules = [e.prefix === undefined ? "" : `<FilterRule><Name>prefix</Name><Value>${e.prefix}</Value></FilterRule>`, e.suffix === undefined ? "" : `<FilterRule><Name>suffix</Name><Value>${e.suffix}</Value></FilterRule>`].join("");
      return `<${el}Configuration>${e.id === undefined ? "" : `<Id>${e.id}</Id>`}<${el}>${e.arn}</${el}>${e.events.map((v) => `<Event>${v}</Event>`).join("")}${rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : ""}</${el}Configuration>`;
    })
    .join("");
  return `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</NotificationConfiguration>`;
}

/** The S3 error code of an XML error answer. */
export async function s3Code(res: Response): Promise<string> {
  const text = await res.text();
  return `${res.status} ${/<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? "-"}`;
}
