#!/usr/bin/env node
// s3gw: the admin CLI. `npm run s3gw -- --help`.
import { CommanderError } from "commander";
import { buildProgram } from "./program.ts";
import { ApiRefused, Unreachable, UsageError } from "./http.ts";

export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

/** Runs one command line; the exit code says how it went. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: "user" });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are answers; anything else commander stops at is a usage error.
      return err.code === "commander.helpDisplayed" || err.code === "commander.version" ? EXIT.ok : EXIT.usage;
    }
    const message = (err as Error).message;
    if (err instanceof ApiRefused) {
      process.stderr.write(`s3gw: ${message}\n`);
      return EXIT.refused;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`s3gw: ${message}\n`);
      return EXIT.usage;
    }
    if (err instanceof Unreachable) {
      process.stderr.write(`s3gw: ${message}\n`);
      return EXIT.unreachable;
    }
    process.stderr.write(`s3gw: ${message}\n`);
    return EXIT.unreachable;
  }
}

process.exitCode = await main(process.argv.slice(2));
