import { appendFile, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { RoutingLogEntry } from "./routing-log.ts";

/**
 * Routing-log rows the database could not take, kept on local disk as JSON Lines until it
 * can. Replay moves the file aside first, so rows spooled meanwhile go to a fresh file and
 * none is replayed twice by this process; a crash mid-replay can repeat rows, never lose them.
 */
export class RoutingLogSpool {
  readonly #file: string;
  readonly #replaying: string;
  // Whether the files may hold rows: only this process writes them, so after a replay that
  // emptied them they stay empty until the next append, and the flush ticks need not stat
  // (two failed stats, with their errors, four times a second). True at start: a previous run may have spooled.
  #maybeRows = true;
  #appends = 0;

  constructor(file: string) {
    this.#file = file;
    this.#replaying = `${file}.replaying`;
  }

  async append(rows: RoutingLogEntry[]): Promise<void> {
    if (rows.length === 0) return;
    this.#maybeRows = true;
    this.#appends++;
    await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
    await appendFile(this.#file, rows.map((r) => `${JSON.stringify(r)}\n`).join(""), { mode: 0o600 });
  }

  async hasRows(): Promise<boolean> {
    if (!this.#maybeRows) return false;
    const appends = this.#appends;
    const has = (await size(this.#replaying)) > 0 || (await size(this.#file)) > 0;
    // Cleared only if no append began meanwhile (its rows may have landed after the stat).
    if (!has && this.#appends === appends) this.#maybeRows = false;
    return has;
  }

  /** Inserts every spooled row in batches; rejects (keeping what is left) if an insert fails. */
  async replay(insert: (rows: RoutingLogEntry[]) => Promise<void>, batchSize: number): Promise<number> {
    let replayed = 0;
    for (;;) {
      if ((await size(this.#replaying)) === 0) {
        if ((await size(this.#file)) === 0) return replayed;
        await rename(this.#file, this.#replaying);
      }
      const rows = (await readFile(this.#replaying, "utf8"))
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map(parseRow);
      for (let i = 0; i < rows.length; i += batchSize) {
        const batch = rows.slice(i, i + batchSize);
        try {
          await insert(batch);
        } catch (err) {
          // Keep only what is not yet written, for the next attempt.
          await rewrite(this.#replaying, rows.slice(i));
          throw err;
        }
        replayed += batch.length;
      }
      await rm(this.#replaying, { force: true });
    }
  }
}

function parseRow(line: string): RoutingLogEntry {
  const r = JSON.parse(line) as Omit<RoutingLogEntry, "createdAt"> & { createdAt: string };
  return { ...r, createdAt: new Date(r.createdAt) };
}

async function rewrite(file: string, rows: RoutingLogEntry[]): Promise<void> {
  const temp = `${file}.tmp`;
  await appendFile(temp, rows.map((r) => `${JSON.stringify(r)}\n`).join(""), { mode: 0o600, flag: "w" });
  await rename(temp, file);
}

async function size(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}
