import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { errorSummary } from "../errors.ts";
import type { Logger } from "../logger.ts";

/** What the router needs to route with its database away: customer → region, access key → customer. */
export interface RoutingMaps {
  routes: Array<[string, string]>;
  accessKeys: Array<[string, string]>;
}

const pair = z.tuple([z.string(), z.string()]);
const snapshotSchema = z.object({ version: z.literal(1), written_at: z.string(), routes: z.array(pair), access_keys: z.array(pair) });

/**
 * The local copy of the routing maps. Written after every change or reload (coalesced, one
 * write at a time) as temp file + fsync + rename, so a crash leaves the old copy or the new
 * one, never half of one; mode 0600, as the maps name customers.
 */
export class RoutingSnapshot {
  readonly #file: string;
  readonly #logger: Logger;
  readonly #collect: () => RoutingMaps;
  #writing: Promise<void> | undefined;
  #again = false;

  constructor(opts: { file: string; logger: Logger; collect: () => RoutingMaps }) {
    this.#file = opts.file;
    this.#logger = opts.logger;
    this.#collect = opts.collect;
  }

  /** The saved maps, or undefined when there is no (readable, well-formed) snapshot. */
  async read(): Promise<RoutingMaps | undefined> {
    let text: string;
    try {
      text = await readFile(this.#file, "utf8");
    } catch {
      return undefined;
    }
    const parsed = snapshotSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      this.#logger.error({ file: this.#file }, "routing snapshot is malformed; ignoring it");
      return undefined;
    }
    return { routes: parsed.data.routes, accessKeys: parsed.data.access_keys };
  }

  /** Schedules a write of the current maps; never rejects (a failed write is logged). */
  changed(): void {
    if (this.#writing) {
      this.#again = true;
      return;
    }
    this.#writing = this.#write().finally(() => {
      this.#writing = undefined;
      if (this.#again) {
        this.#again = false;
        this.changed();
      }
    });
  }

  /** Waits for pending writes (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #write(): Promise<void> {
    const maps = this.#collect();
    const body = JSON.stringify({ version: 1, written_at: new Date().toISOString(), routes: maps.routes, access_keys: maps.accessKeys });
    const temp = `${this.#file}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
      const handle = await open(temp, "w", 0o600);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.#file);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => {});
      this.#logger.error({ error: errorSummary(err), file: this.#file }, "routing snapshot write failed");
    }
  }
}
