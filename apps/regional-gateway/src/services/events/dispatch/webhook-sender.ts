import type { WebhookTargetConfig } from "@s3gw/schema-regional";
import { DeliveryError, messageHeaders, type EventSender, type OutgoingMessage } from "./message.ts";

/** Why a fetch failed, without the URL (it may carry a token in its query) or anything the target sent. */
function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return `no answer within ${timeoutMs} ms`;
  const code = e.cause?.code;
  return code ? `connection failed: ${code}` : `request failed: ${e.cause?.message ?? e.message}`;
}

/**
 * POSTs a message to a webhook target, signed with its secret. Only a 2xx delivers; a redirect
 * is not followed (the target's URL is the one the admin registered, not wherever it points
 * to) and counts as a failure. The response body is never read: the request is cancelled once
 * the status is known, so a target that streams forever costs nothing.
 */
export class WebhookSender implements EventSender {
  private readonly config: WebhookTargetConfig;
  private readonly secret: string;

  constructor(config: WebhookTargetConfig, secret: string) {
    this.config = config;
    this.secret = secret;
  }

  async send(message: OutgoingMessage): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.config.url, {
        method: "POST",
        headers: messageHeaders(message, this.secret),
        body: message.body,
        redirect: "manual",
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (err) {
      throw new DeliveryError(describeFailure(err, this.config.timeoutMs));
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status > 299) throw new DeliveryError(`HTTP ${res.status}`);
  }

  async close(): Promise<void> {}
}
