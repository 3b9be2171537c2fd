// `npm test`: checks that the test Postgres server is reachable, then runs vitest once over
// every workspace project (root vitest.config.ts) and closes with a plain summary:
//   Tests: N passed, M failed[, K skipped]
//   Report: node_modules/.cache/s3gw-tests/vitest-report.json   (vitest's JSON report of this run; kept)
// Extra arguments go to vitest: `npm test -- apps/global-router`, `npm test -- -t routing`.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const CONNECT_TIMEOUT_MS = 3000;

function redact(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = "***";
  return copy.toString();
}

/**
 * Connects and sends a Postgres SSLRequest: a Postgres server answers with one byte, "S" or
 * "N". Checking the answer, not just the TCP handshake, matters where a proxy or firewall
 * accepts connections to any address. Resolves to null when a server answered.
 */
function probePostgres(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    let settled = false;
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(error);
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
    socket.once("connect", () => {
      const sslRequest = Buffer.alloc(8);
      sslRequest.writeInt32BE(8, 0);
      sslRequest.writeInt32BE(80877103, 4);
      socket.write(sslRequest);
    });
    socket.once("data", (chunk: Buffer) => {
      const answer = String.fromCharCode(chunk[0] ?? 0);
      finish(answer === "S" || answer === "N" ? null : "something answered, but not PostgreSQL");
    });
    socket.once("end", () => finish("connection closed without an answer"));
    socket.once("error", (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
  });
}

function installedPostgresVersions(): string[] {
  try {
    return readdirSync("/etc/postgresql").sort();
  } catch {
    return [];
  }
}

async function checkDatabase(rawUrl: string): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    console.error(`TEST_DATABASE_URL is not a valid URL: ${rawUrl}`);
    return false;
  }
  const host = (url.hostname || "localhost").replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port || 5432);
  const error = await probePostgres(host, port, CONNECT_TIMEOUT_MS);
  if (error === null) return true;
  const versions = installedPostgresVersions();
  const version = versions.at(-1) ?? "<version>";
  console.error(
    [
      `The tests need a PostgreSQL server, but none answers at ${host}:${port} (${error}).`,
      `  TEST_DATABASE_URL=${redact(url)}${process.env.TEST_DATABASE_URL ? "" : " (default)"}`,
      "Either start the local cluster:",
      `  pg_ctlcluster --skip-systemctl-redirect ${version} main start${versions.length ? "" : "   (versions: ls /etc/postgresql)"}`,
      "or point the tests at a server whose user may create databases:",
      "  TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/postgres npm test",
    ].join("\n"),
  );
  return false;
}

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { status: string; assertionResults: { status: string }[] }[];
}

function summarise(reportFile: string): { passed: number; failed: number; skipped: number } | null {
  if (!existsSync(reportFile)) return null;
  let report: JsonReport;
  try {
    report = JSON.parse(readFileSync(reportFile, "utf8")) as JsonReport;
  } catch {
    return null;
  }
  // A test file that failed before any of its tests could fail (import error, crashed
  // worker, failing hook) counts as one failure, so the line never reads "0 failed" then.
  const brokenFiles = report.testResults.filter(
    (f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed"),
  ).length;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + brokenFiles,
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args[0] === "--") args.shift();

  const dbUrl = process.env.TEST_DATABASE_URL || DEFAULT_DB_URL;
  if (!(await checkDatabase(dbUrl))) return 1;

  const vitestBin = join(ROOT, "node_modules", "vitest", "vitest.mjs");
  if (!existsSync(vitestBin)) {
    console.error("vitest is not installed; run `sh scripts/bootstrap.sh` (npm test does it for you).");
    return 1;
  }

  // The last run's report stays where the summary says (vitest also names it when it writes it);
  // a stale one from an earlier run is removed first, so the name never points at old results.
  const reportDir = join(ROOT, "node_modules", ".cache", "s3gw-tests");
  mkdirSync(reportDir, { recursive: true });
  const reportFile = join(reportDir, "vitest-report.json");
  rmSync(reportFile, { force: true });
  const child = spawn(
    process.execPath,
    [
      vitestBin,
      "run",
      "--root",
      ROOT,
      "--config",
      join(ROOT, "vitest.config.ts"),
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${reportFile}`,
      ...args,
    ],
    { cwd: ROOT, stdio: "inherit", env: { ...process.env, TEST_DATABASE_URL: dbUrl } },
  );
  // Ctrl-C reaches vitest through the terminal's process group; just wait for it.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  const code: number = await new Promise((done) => {
    child.on("error", (e) => {
      console.error(`could not start vitest: ${e.message}`);
      done(1);
    });
    child.on("exit", (c, signal) => done(c ?? (signal ? 1 : 0)));
  });

  const summary = summarise(reportFile) ?? { passed: 0, failed: 0, skipped: 0 };
  console.log("");
  if (summary.passed === 0 && summary.failed === 0) {
    console.log(`No test ran${code !== 0 ? ` (vitest exited with code ${code})` : ""}.`);
  } else if (code !== 0 && summary.failed === 0) {
    // Every test passed but vitest still failed (unhandled error, teardown failure...).
    console.log(`vitest exited with code ${code} although no test failed; see the errors above.`);
    summary.failed = 1;
  }
  console.log(`Tests: ${summary.passed} passed, ${summary.failed} failed${summary.skipped ? `, ${summary.skipped} skipped` : ""}`);
  if (existsSync(reportFile)) console.log(`Report: ${relative(process.cwd(), reportFile)}`);
  return code !== 0 || summary.failed > 0 || summary.passed === 0 ? 1 : 0;
}

process.exitCode = await main();
