// `npm start`'s flags (scripts/start-stack-args.ts): usage, refusals, and flags that reach the
// launcher over the environment. Nothing here starts the apps: a port held by the test makes
// the launcher stop at its preflight, which names the ports and data directory it was given.
import { execFile } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort, REPO_ROOT } from "./support/processes.ts";

const START = resolve(REPO_ROOT, "scripts/start-stack.ts");
let dir: string;

function start(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [START, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 }, (err, out, errOut) =>
      done({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, out, err: errOut }),
    );
  });
}

async function hold(port: number): Promise<Server> {
  const server = createServer().listen({ host: "127.0.0.1", port });
  await once(server, "listening");
  return server;
}

/**
 * A port base whose port at `offset` this test holds. Other suites run beside this one and take
 * free ports too, so base + offset may already be someone else's: then another base is tried.
 */
async function baseHolding(offset: number): Promise<{ base: number; busy: Server }> {
  for (let i = 0; i < 20; i++) {
    const base = await freePort();
    if (base + offset > 65535) continue;
    try {
      return { base, busy: await hold(base + offset) };
    } catch {
      // taken meanwhile: another base
    }
  }
  throw new Error(`no port base found whose port at +${offset} could be held`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "s3gw-start-args-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("prints its usage for --help, and starts nothing", async () => {
  const r = await start(["--help"]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^usage: npm start -- \[options\]/);
  for (const flag of ["--data-dir", "--port-base", "--global-port", "--fi-hel-port", "--de-fra-port", "--us-east-port", "--log-level", "--health-timeout-ms"]) expect(r.out).toContain(flag);
  expect(r.out).toContain("about 1 GiB");
  expect(r.err).toBe("");
});

it("refuses unknown flags, positionals and bad port bases with exit 2", async () => {
  for (const args of [["--bogus"], ["now"], ["--port-base", "70000"], ["--port-base", "abc"], ["--data-dir", ""], ["--port-base"]]) {
    const r = await start(args);
    expect(r.code, args.join(" ")).toBe(2);
    expect(r.err, args.join(" ")).toMatch(/^\[stack\] .+\nusage: npm start/);
  }
  const env = await start([], { PORT_BASE: "0" });
  expect(env.code).toBe(2);
  expect(env.err).toMatch(/PORT_BASE=0 is not a port number/);
});

it("takes --port-base and --data-dir over the environment; a per-app port over --port-base", async () => {
  const { base, busy } = await baseHolding(2);
  try {
    const data = join(dir, "flag-data");
    const r = await start(["--port-base", String(base), "--data-dir", data], { DATA_DIR: join(dir, "env-data"), DE_FRA_PORT: "1" });
    expect(r.code).toBe(1);
    // Another suite may hold one of the other ports too; the one held here is named either way.
    expect(r.err).toContain(`${base + 2} (DE-FRA gateway)`);
    expect(r.err).toMatch(/already in use/);
    expect(existsSync(data)).toBe(true);
    expect(existsSync(join(dir, "env-data"))).toBe(false);
  } finally {
    busy.close();
  }
  const other = await freePort();
  const held = await hold(other);
  try {
    const r = await start(["--port-base", String(base), "--global-port", String(other), "--data-dir", join(dir, "d2")]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${other} (global router)`);
    expect(r.err).toMatch(/already in use/);
  } finally {
    held.close();
  }
});

it("reads PORT_BASE from the environment when no flag says otherwise", async () => {
  const { base, busy } = await baseHolding(3);
  try {
    const r = await start([], { PORT_BASE: String(base), DATA_DIR: join(dir, "d3") });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${base + 3} (US-EAST gateway)`);
    expect(r.err).toMatch(/already in use/);
  } finally {
    busy.close();
  }
});
