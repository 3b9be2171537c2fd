// `npm start`: the embedded stack on this machine. Runs the global router and the three
// regional gateways in this one process, each app in a worker thread of its own
// (stack-app-thread.ts: its own isolate and event loop, built by its own start function from its
// own configuration), with its own PGlite database (and, for the regions, an fs object store)
// under DATA_DIR (default ./data); each database engine is one more thread, so HTTP, the apps
// and SQL run side by side. The regions start first, then the global router, so its first
// probe finds them up. Waits until all four are healthy, and stops them all on Ctrl-C /
// SIGTERM. Data persists across restarts, and across a killed process too (see
// packages/db/src/pglite-settings.ts).
//
// One process instead of four: each Node runtime costs ~170 MiB with an app loaded before any
// database, and the WASM engine's compiled code is shared by the four databases.
//
// Environment: DATA_DIR, GLOBAL_PORT (8000), FI_HEL_PORT (8001), DE_FRA_PORT (8002),
// US_EAST_PORT (8003), PORT_BASE, LOG_LEVEL (passed to the apps), HEALTH_TIMEOUT_MS (60000);
// each also as a flag (`npm start -- --help`, parsed by start-stack-args.ts before anything else).
//
// Output: the apps' JSON log lines go to stdout unchanged; when stdout is a terminal each
// line gets a coloured tag saying which app wrote it. This launcher's own messages go
// to stderr, so `npm start > stack.log` yields pure JSON lines.
import "./start-stack-args.ts";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { AppThreadReply, AppThreadStart } from "./stack-app-thread.ts";
import { acquireDataDirLock, DataDirLockedError, makePrivate } from "./stack-data-dir.ts";

// Settings of the one process that only its start can give (V8 flags, the C allocator's
// environment), so this script replaces itself with one that has them: same pid, same stdio,
// same arguments.
// - Liftoff only: V8's optimizing compiler would recompile the engine's hot WASM functions in
//   the background, with peaks of ~400 MiB of compiler memory and ~100 MiB more code; a
//   statement's time is mostly PGlite's JavaScript wire handling anyway (measured: no slower).
// - An 8 MiB semi-space: V8 sizes its young generation from physical memory otherwise
//   (~150 MiB of mostly empty heap on a 24 GiB machine).
// - MALLOC_ARENA_MAX=2: glibc gives every thread (here: one per database, plus V8's) an arena
//   of its own and keeps what was freed in it; after a first start that created the databases
//   that was ~240 MiB held for nothing.
// - MALLOC_MMAP_THRESHOLD_=131072: a large object streams in 256 KiB buffers; glibc's threshold
//   for giving such blocks their own mapping rises after the first is freed (up to 32 MiB), so
//   later ones come from the heap and what was freed stays resident. Fixed at 128 KiB, a freed
//   buffer's memory goes back to the system (a 1 GiB GET peaked ~40 MiB lower). The container
//   image and the test and benchmark processes start with the same setting.
const V8_FLAGS = ["--liftoff-only", "--max-semi-space-size=8"];
const ALLOCATOR_ENV = { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072" };
const missingFlags = V8_FLAGS.filter((f) => !process.execArgv.some((a) => a.split("=")[0] === f.split("=")[0]));
const missingEnv = Object.entries(ALLOCATOR_ENV).filter(([k]) => !process.env[k]);
if ((missingFlags.length > 0 || missingEnv.length > 0) && typeof process.execve === "function") {
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...missingFlags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { ...process.env, ...Object.fromEntries(missingEnv) });
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const HOST = "127.0.0.1";
// How long Ctrl-C waits for in-flight requests and the databases' shutdown before giving up.
const STOP_GRACE_MS = 15_000;
const HEALTH_TIMEOUT_MS = Number(process.env.HEALTH_TIMEOUT_MS ?? 60_000);

interface Service {
  /** short tag, also the data sub-directory */
  tag: string;
  label: string;
  app: "global-router" | "regional-gateway";
  regionId?: string;
  port: number;
  color: number;
  thread?: Worker;
  started?: boolean;
  stopped?: Promise<void>;
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    fail(`${name}=${raw} is not a valid port number.`);
  }
  return port;
}

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

function fail(message: string): never {
  say(`[stack] ${message}`);
  process.exit(1);
}

const services: Service[] = [
  { tag: "global", label: "global router", app: "global-router", port: portFromEnv("GLOBAL_PORT", 8000), color: 35 },
  { tag: "fi-hel", label: "FI-HEL gateway", app: "regional-gateway", regionId: "FI-HEL", port: portFromEnv("FI_HEL_PORT", 8001), color: 36 },
  { tag: "de-fra", label: "DE-FRA gateway", app: "regional-gateway", regionId: "DE-FRA", port: portFromEnv("DE_FRA_PORT", 8002), color: 33 },
  { tag: "us-east", label: "US-EAST gateway", app: "regional-gateway", regionId: "US-EAST", port: portFromEnv("US_EAST_PORT", 8003), color: 32 },
];

const dataDir = process.env.DATA_DIR ? resolve(process.cwd(), process.env.DATA_DIR) : join(ROOT, "data");
const shownDataDir = relative(process.cwd(), dataDir).startsWith("..") ? dataDir : `./${relative(process.cwd(), dataDir) || "."}`;

// ---------------------------------------------------------------------------- preflight

for (const app of ["global-router", "regional-gateway"]) {
  if (!existsSync(join(ROOT, "apps", app, "src", "embedded.ts"))) fail(`apps/${app}/src/embedded.ts does not exist yet.`);
}
// The data directory holds every region's database, objects and keys, and the stack's secrets:
// private to this user (0700 / 0600; PGlite creates its files 0666, so this process runs with
// a umask that clears group and other bits), and used by one stack at a time.
process.umask(0o077);
try {
  const lock = acquireDataDirLock(dataDir);
  process.on("exit", () => lock.release());
  if (lock.tookOver) say(`[stack] took over the stale lock of process ${lock.tookOver.pid} (started ${lock.tookOver.started_at}), which is no longer running.`);
} catch (err) {
  if (err instanceof DataDirLockedError) fail(err.message);
  throw err;
}
makePrivate(dataDir);

if (new Set(services.map((s) => s.port)).size !== services.length) {
  fail(`two services were given the same port: ${services.map((s) => `${s.label} ${s.port}`).join(", ")}.`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once("error", () => done(false));
    probe.listen({ host: HOST, port, exclusive: true }, () => probe.close(() => done(true)));
  });
}

const busy: Service[] = [];
for (const s of services) if (!(await portIsFree(s.port))) busy.push(s);
if (busy.length) {
  fail(
    `${busy.length > 1 ? "ports" : "port"} ${busy.map((s) => `${s.port} (${s.label})`).join(", ")} ${busy.length > 1 ? "are" : "is"} already in use on ${HOST}` +
      " — is another stack running? Stop it, or choose other ports with GLOBAL_PORT, FI_HEL_PORT, DE_FRA_PORT, US_EAST_PORT.",
  );
}

// The regions' endpoints live in the topology; with non-default ports, write a copy that
// points at them (the global router routes by it, the gateways read their own entry).
let topologyFile = join(ROOT, "infra", "topology.local.json");
mkdirSync(dataDir, { recursive: true });
const regionPorts = new Map(services.filter((s) => s.regionId).map((s) => [s.regionId as string, s.port]));
const topology = JSON.parse(readFileSync(topologyFile, "utf8")) as { regions: { region_id: string; endpoint: string }[] };
let topologyChanged = false;
for (const region of topology.regions) {
  const port = regionPorts.get(region.region_id);
  if (port === undefined) continue;
  const endpoint = `http://${HOST}:${port}`;
  if (region.endpoint !== endpoint) {
    region.endpoint = endpoint;
    topologyChanged = true;
  }
}
if (topologyChanged) {
  topologyFile = join(dataDir, "topology.generated.json");
  writeFileSync(topologyFile, `${JSON.stringify(topology, null, 2)}\n`);
}

/**
 * A secret of the embedded stack: the exported variable if set, else generated on first start
 * and kept in DATA_DIR/<file> (0600), so restarts reuse it and stored data stays readable.
 */
function stackSecret(envName: string, file: string, make: () => string): string {
  const path = join(dataDir, file);
  const exported = process.env[envName];
  if (exported) return exported;
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
}
// Management and compliance APIs on all four processes.
const adminToken = stackSecret("ADMIN_TOKEN", "admin-token", () => `s3gw_admin_${randomBytes(24).toString("base64url")}`);
// Proves requests came through the global router, and signs the regions' key registrations.
const gatewaySecret = stackSecret("GATEWAY_SHARED_SECRET", "gateway-secret", () => randomBytes(32).toString("base64url"));
// Seals access-key secrets at rest in every region.
const masterKeys = stackSecret("MASTER_KEYS", "master-keys", () => `k1:${randomBytes(32).toString("base64")}`);
// Each region signs its audit checkpoints with its own Ed25519 key, kept beside its data (never in its database).
function auditSigningKeyFile(tag: string): string {
  const path = join(dataDir, `audit-signing-key-${tag}.pem`);
  if (!existsSync(path)) {
    const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    writeFileSync(path, pem, { mode: 0o600 });
  }
  return path;
}
const globalUrl = `http://${HOST}:${services.find((s) => s.app === "global-router")!.port}`;

// ---------------------------------------------------------------------------- apps

const useTags = Boolean(process.stdout.isTTY);
const tagWidth = Math.max(...services.map((s) => s.tag.length));
let stopping = false;

/** An app thread's output lines, to the same stream of this process, tagged on a terminal. */
function pipeLines(stream: NodeJS.ReadableStream, out: NodeJS.WriteStream, service: Service): void {
  const prefix = `\x1b[${service.color}m${service.tag.padEnd(tagWidth)} |\x1b[0m `;
  const tagged = useTags && Boolean(out.isTTY);
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
    out.write(tagged ? `${prefix}${line}\n` : `${line}\n`);
  });
}

/** The app's environment: what its own process would have been given before. */
function serviceEnv(service: Service): NodeJS.ProcessEnv {
  const dir = join(dataDir, service.tag);
  mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The embedded stack always uses PGlite and the topology file; a DATABASE_URL or
  // TOPOLOGY_JSON exported in the shell must not redirect it.
  delete env.DATABASE_URL;
  delete env.TOPOLOGY_JSON;
  delete env.REGION_ID;
  delete env.STORAGE_DIR;
  Object.assign(env, {
    HOST,
    PORT: String(service.port),
    PGLITE_DIR: join(dir, "pg"),
    TOPOLOGY_FILE: topologyFile,
    TRUSTED_CUSTOMER_HEADER: "true",
    ADMIN_TOKEN: adminToken,
    GATEWAY_SHARED_SECRET: gatewaySecret,
  });
  if (service.regionId) {
    const objects = join(dir, "objects");
    mkdirSync(objects, { recursive: true });
    if (!env.AUDIT_SIGNING_KEY) env.AUDIT_SIGNING_KEY_FILE ??= auditSigningKeyFile(service.tag);
    Object.assign(env, { REGION_ID: service.regionId, STORAGE_DIR: objects, MASTER_KEYS: masterKeys, GLOBAL_ROUTER_URL: globalUrl, PUBLIC_S3_ENDPOINT: globalUrl });
  }
  return env;
}

function start(service: Service): Promise<void> {
  const thread = new Worker(new URL("./stack-app-thread.ts", import.meta.url), {
    workerData: { app: service.app, env: serviceEnv(service) } satisfies AppThreadStart,
    stdout: true,
    stderr: true,
  });
  service.thread = thread;
  pipeLines(thread.stdout, process.stdout, service);
  pipeLines(thread.stderr, process.stderr, service);
  const exited = new Promise<void>((resolve) => thread.once("exit", () => resolve()));
  // An app that fails after it started (an uncaught error ends its thread) stops the stack, as
  // a gateway process dying did.
  thread.once("error", (err) => {
    if (service.started && !stopping) void shutdown(1, `${service.label} (port ${service.port}) failed: ${err.message}; stopping the others.`);
  });
  void exited.then(() => {
    if (service.started && !stopping) void shutdown(1, `${service.label} (port ${service.port}) stopped unexpectedly; stopping the others.`);
  });
  service.stopped = new Promise<void>((resolve) => {
    thread.on("message", (m: AppThreadReply) => {
      if (m.kind === "stopped" || m.kind === "stopFailed") {
        if (m.kind === "stopFailed") say(`[stack] ${service.label} did not close cleanly: ${m.message}`);
        resolve();
      }
    });
    void exited.then(() => resolve());
  });
  return new Promise<void>((resolve) => {
    const settle = (why?: string) => {
      if (why !== undefined && !stopping) void shutdown(1, `${service.label} (port ${service.port}) could not be started: ${why}`);
      resolve();
    };
    thread.on("message", (m: AppThreadReply) => {
      if (m.kind === "started") {
        service.started = true;
        settle();
      } else if (m.kind === "failed") settle(m.message);
    });
    thread.once("error", (err) => service.started || settle(err.message));
    void exited.then(() => service.started || settle("its thread ended"));
  });
}

let shutdownPromise: Promise<void> | undefined;

async function closeService(s: Service): Promise<void> {
  const thread = s.thread;
  if (!thread) return;
  s.thread = undefined;
  if (s.started) {
    thread.postMessage("stop");
    await s.stopped;
  }
  // Closed: whatever it still holds (idle keep-alive sockets, unref'd timers) goes with the thread.
  await thread.terminate();
}

function shutdown(code: number, reason: string): Promise<void> {
  if (shutdownPromise) return shutdownPromise;
  stopping = true;
  say(`\n[stack] ${reason}`);
  shutdownPromise = (async () => {
    const force = setTimeout(() => {
      say(`[stack] the gateways did not stop within ${STOP_GRACE_MS / 1000} s; exiting (committed data is kept).`);
      process.exit(1);
    }, STOP_GRACE_MS);
    force.unref();
    // The router first, so no routed request reaches a region that is already closing.
    const [router, ...regions] = services;
    await closeService(router!);
    await Promise.all(regions.map(closeService));
    clearTimeout(force);
    try {
      makePrivate(dataDir); // what the databases wrote while shutting down
    } catch {
      // best effort: the next start tightens everything again
    }
    say(code === 0 ? "[stack] all stopped." : "[stack] all stopped; see the log lines above for the cause.");
    process.exit(code);
  })();
  return shutdownPromise;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (shutdownPromise) {
      // A second Ctrl-C: do not wait for the grace period. Acknowledged writes are on disk already.
      say("[stack] stopping now.");
      process.exit(1);
    }
    void shutdown(0, `${signal} received; stopping the gateways...`);
  });
}

async function waitHealthy(service: Service): Promise<void> {
  const url = `http://${HOST}:${service.port}/health`;
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (!stopping) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await shutdown(1, `${service.label} did not report healthy at ${url} within ${HEALTH_TIMEOUT_MS / 1000} s; stopping.`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

say(`[stack] starting the global router and 3 regional gateways (data: ${shownDataDir})...`);
// Regions first, so the global router's first probe of them already finds them up.
const [globalService, ...regionServices] = services as [Service, ...Service[]];
// A first start creates each database (initdb: a second engine for a few seconds, ~400 MiB):
// one at a time then, so the four do not add up. Later starts open them all at once.
const firstStart = regionServices.some((s) => !existsSync(join(dataDir, s.tag, "pg", "PG_VERSION")));
if (firstStart) for (const s of regionServices) await start(s);
else await Promise.all(regionServices.map(start));
if (!stopping) await Promise.all(regionServices.map(waitHealthy));
if (!stopping) await start(globalService);
if (!stopping) await waitHealthy(globalService);

// PGlite (Emscripten's NODEFS) chmods the files it creates to 0666 whatever the umask, so the
// launcher tightens them once everything is up and then keeps doing so. The 0700 directories
// already keep other users out in between; this keeps the files private too (copies, backups).
if (!stopping) {
  makePrivate(dataDir);
  setInterval(() => {
    try {
      makePrivate(dataDir);
    } catch {
      // a file vanished mid-walk (PGlite rotates WAL segments); the next pass catches up
    }
  }, 5_000).unref();
}

if (!stopping) {
  const url = (s: Service) => `http://${HOST}:${s.port}`;
  say(
    [
      "",
      "S3 residency gateway is up.",
      `  global router   ${url(globalService)}   <- point S3 clients here`,
      ...regionServices.map((s) => `  ${(s.regionId ?? s.tag).padEnd(8)} gateway ${url(s)}   (compliance API, ops dashboard)`),
      `  data            ${shownDataDir}${topologyChanged ? `   (topology: ${relative(process.cwd(), topologyFile)})` : ""}`,
      `  admin token     in ${join(shownDataDir, "admin-token")}   (TOKEN=$(cat ${join(shownDataDir, "admin-token")}); -H "Authorization: Bearer $TOKEN")`,
      "Try it: follow the walkthrough in README.md. Ctrl-C stops all four.",
      "",
    ].join("\n"),
  );
}
