// What every command gets: the resolved settings, and output in the form asked for
// (--json: the API's JSON as it answered; otherwise text, with tables for lists).
import { type Command, InvalidArgumentError } from "commander";
import { type GlobalFlags, Settings } from "./config.ts";
import { UsageError } from "./http.ts";

export interface Ctx {
  settings: Settings;
  json: boolean;
  /** Prints the API's answer with --json, else the human rendering. */
  emit(value: unknown, human: () => string): void;
}

export type Handler<A extends unknown[]> = (ctx: Ctx, opts: Record<string, unknown>, ...args: A) => Promise<void>;

/** Wraps a command's work: commander passes the arguments, then the options, then the command. */
export function act<A extends unknown[]>(fn: Handler<A>) {
  return async (...raw: unknown[]): Promise<void> => {
    const cmd = raw.at(-1) as Command;
    const opts = cmd.opts();
    const globals = cmd.optsWithGlobals<GlobalFlags>();
    const json = Boolean(globals.json);
    const ctx: Ctx = {
      settings: new Settings(globals),
      json,
      emit(value, human) {
        const text = json ? JSON.stringify(value, null, 2) : human();
        if (text !== "") process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      },
    };
    await fn(ctx, opts, ...(raw.slice(0, -2) as A));
  };
}

export type Column<T> = [header: string, value: (row: T) => unknown];

function cell(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (Array.isArray(v)) return v.length ? v.map(cell).join(",") : "-";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v).replace(/[\u0000-\u001f\u007f]/g, "?");
}

/** A plain text table; the API's next page, if any, is named under it. */
export function table<T>(rows: T[], columns: Column<T>[], nextCursor?: string | null): string {
  if (rows.length === 0) return "(none)";
  const cells = rows.map((r) => columns.map(([, f]) => cell(f(r))));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i === c.length - 1 ? s : s.padEnd(widths[i]!))).join("  ");
  const out = [line(columns.map(([h]) => h.toUpperCase())), ...cells.map(line)];
  if (nextCursor) out.push(`(more: --cursor ${nextCursor})`);
  return out.join("\n");
}

/** Key: value lines for one record. */
export function record(obj: object, keys?: string[]): string {
  const value = obj as Record<string, unknown>;
  const ks = keys ?? Object.keys(value);
  const width = Math.max(...ks.map((k) => k.length));
  return ks.map((k) => `${`${k}:`.padEnd(width + 1)} ${cell(value[k])}`).join("\n");
}

export function intOption(min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A file's text, or standard input's for "-". */
export async function readTextFile(path: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  try {
    if (path !== "-") return await readFile(path, "utf8");
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A JSON request body from a file, or from standard input for "-". */
export async function readJsonFile(path: string): Promise<unknown> {
  const text = await readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON (${(err as Error).message})`);
  }
}

/** A streamed answer (an export) to a file, or to standard output without one; a file is private (0600). */
export async function saveBody(res: Response, path: string | undefined): Promise<number> {
  const { createWriteStream } = await import("node:fs");
  const { pipeline } = await import("node:stream/promises");
  const { Readable } = await import("node:stream");
  if (!res.body) return 0;
  let bytes = 0;
  const counted = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream).on("data", (c: Buffer) => (bytes += c.length));
  if (path) await pipeline(counted, createWriteStream(path, { mode: 0o600 }));
  else await pipeline(counted, process.stdout, { end: false });
  return bytes;
}
