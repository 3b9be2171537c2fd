import type { Deps } from "../../../env.ts";
import type { CommandConsumerConfig } from "./config.ts";
import { startCommandConsumer } from "./consumer.ts";

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * Keeps the command consumer running without making the region depend on NATS: S3 and the
 * management API serve whether or not the broker is up. A consumer that cannot start (NATS
 * down, the stream unreachable) is retried with a backoff; commands wait in the stream meanwhile.
 */
export class CommandConsumerSupervisor {
  private running: { stop(): Promise<void> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private closed = false;
  private starting: Promise<void> | undefined;
  private readonly deps: Deps;
  private readonly config: CommandConsumerConfig;

  constructor(deps: Deps, config: CommandConsumerConfig) {
    this.deps = deps;
    this.config = config;
  }

  start(): void {
    this.starting = this.attempt();
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    try {
      const consumer = await startCommandConsumer(this.deps, this.config);
      if (this.closed) return void (await consumer.stop());
      this.running = consumer;
      this.retryMs = RETRY_MIN_MS;
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, retryInMs: this.retryMs }, "command consumer could not start; retrying");
      this.timer = setTimeout(() => (this.starting = this.attempt()), this.retryMs);
      this.timer.unref();
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    }
  }

  /** Stops retrying, then lets the command in hand finish and be acknowledged. */
  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.starting;
    await this.running?.stop();
  }
}
