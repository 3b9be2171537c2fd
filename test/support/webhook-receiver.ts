import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyEventSignature } from "../../apps/regional-gateway/src/services/events/dispatch/message.ts";

export interface ReceivedEvent {
  id: string;
  name: string;
  signed: boolean;
  body: Record<string, unknown>;
}

/** How the receiver answers: 200, a 5xx, or never (the connection stays open until closed). */
export type ReceiverMode = "ok" | "fail" | "hang";

/**
 * A real HTTP receiver of webhook deliveries on loopback, as a customer would run one: it
 * checks the signature with the target's secret and dedupes by x-s3gw-event-id.
 */
export class WebhookReceiver {
  readonly received: ReceivedEvent[] = [];
  mode: ReceiverMode = "ok";
  secret = "";
  url = "";
  private server: Server | undefined;
  private readonly hung = new Set<IncomingMessage>();

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (this.mode === "hang") {
          this.hung.add(req);
          return;
        }
        if (this.mode === "fail") {
          res.writeHead(503).end();
          return;
        }
        const text = Buffer.concat(chunks).toString("utf8");
        const header = (n: string) => (req.headers[n] as string | undefined) ?? undefined;
        const signed = verifyEventSignature(this.secret, { timestamp: header("x-s3gw-timestamp"), signature: header("x-s3gw-signature") }, text, { now: new Date(), toleranceSeconds: 300 });
        this.received.push({ id: header("x-s3gw-event-id") ?? "", name: header("x-s3gw-event-name") ?? "", signed, body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this.url;
  }

  /** Requests held open in `hang` mode. */
  hangingCount(): number {
    return this.hung.size;
  }

  /** Drops the connections held open, as a receiver restarting would. */
  releaseHung(): void {
    for (const req of this.hung) req.socket.destroy();
    this.hung.clear();
  }

  /** The events received, once per id (what a receiver that dedupes keeps). */
  unique(): ReceivedEvent[] {
    return [...new Map(this.received.map((e) => [e.id, e])).values()];
  }

  async waitFor(count: number, timeoutMs = 20_000): Promise<ReceivedEvent[]> {
    const until = Date.now() + timeoutMs;
    while (this.unique().length < count) {
      if (Date.now() > until) throw new Error(`received ${this.unique().length} of ${count} events`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.unique();
  }

  async close(): Promise<void> {
    this.releaseHung();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
