// The S3 conformance measurement: ceph/s3-tests (s3tests_boto3/functional/test_s3.py) against the
// two-layer stack through the GLOBAL endpoint, one worker, a per-test and a total time bound.
// Not part of `npm test` (third-party code, ~30+ minutes). Usage:
//   node bench/conformance/run.ts            # starts router + FI-HEL on the Postgres server
//   S3TESTS_CONF=/path/s3tests.conf node bench/conformance/run.ts   # any endpoint (e.g. RGW)
// Environment: S3TESTS_DIR (checkout, default /tmp/s3-tests), S3TESTS_PYTHON (default
// /tmp/s3tests-venv/bin/python), S3TESTS_MARKERS (-m expression), S3TESTS_K (-k filter),
// S3TESTS_TEST_TIMEOUT_S (default 180), S3TESTS_TOTAL_MIN (default 60), CONFORMANCE_LATEST
// (also write the per-test failure list there), S3TESTS_TARGET (label for the report).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/support/processes.ts";
import { startPostgresGateway } from "../lib/gateway-postgres.ts";
import { Cleanups, revision, say } from "../lib/run.ts";
import { ownerOf, renderConf } from "./conf.ts";
import { parseJunit } from "./junit.ts";
import { renderReport, summaryLine } from "./report.ts";

const SUITE_DIR = process.env.S3TESTS_DIR ?? "/tmp/s3-tests";
const PYTHON = process.env.S3TESTS_PYTHON ?? "/tmp/s3tests-venv/bin/python";
const TEST_FILE = "s3tests_boto3/functional/test_s3.py";
// test_headers.py (malformed headers, SigV2) counts too when the checkout has it; S3TESTS_FILES
// (space-separated, relative to the checkout) picks the files instead.
const TEST_FILES = process.env.S3TESTS_FILES?.trim()
  ? process.env.S3TESTS_FILES.trim().split(/\s+/)
  : [TEST_FILE, "s3tests_boto3/functional/test_headers.py"].filter((f) => f === TEST_FILE || existsSync(join(SUITE_DIR, f)));
// AWS-applicable: everything but what AWS itself fails and RGW-only features (STS/IAM/web
// identity, append, S3 Select, SNS, SSE-S3 via RGW's KMS, lifecycle that needs RGW's debug clock).
export const AWS_MARKERS = [
  "fails_on_aws", "appendobject", "test_of_sts", "webidentity_test", "lifecycle_expiration", "lifecycle_transition",
  "cloud_transition", "s3select", "sse_s3", "user_policy", "role_policy", "session_policy", "group_policy", "group",
  "iam_account", "iam_cross_account", "iam_role", "iam_tenant", "iam_user", "abac_test", "sns",
  "token_claims_trust_policy_test", "token_principal_tag_role_policy_test", "token_request_tag_trust_policy_test",
  "token_resource_tags_test", "token_role_tags_test", "token_tag_keys_test",
].map((m) => `not ${m}`).join(" and ");
const MARKERS = process.env.S3TESTS_MARKERS ?? AWS_MARKERS;
const TEST_TIMEOUT_S = Number(process.env.S3TESTS_TEST_TIMEOUT_S ?? 180);
const TOTAL_MS = Number(process.env.S3TESTS_TOTAL_MIN ?? 60) * 60_000;

async function gatewayConf(workDir: string, cleanups: Cleanups): Promise<{ conf: string; target: string }> {
  say("starting global router + FI-HEL (Postgres server)");
  const system = await startPostgresGateway({ workDir, logLevel: "warn", cleanup: cleanups.add, extraCustomers: ["s3t-alt", "s3t-tenant"], bypassGovernance: true });
  const endpoint = system.endpoints.find((e) => e.id === "pg-global")!.target.endpoint;
  const [main, alt, tenant] = system.customers.map((k, i) => {
    const owner = ownerOf(PYTHON, endpoint, k);
    return { ...k, userId: owner.id || k.customerId, displayName: owner.displayName || k.customerId, email: `${["main", "alt", "tenant"][i]}@s3t.example` };
  });
  const kmsKeys = [await createKmsKey(system.management, main!.customerId), await createKmsKey(system.management, main!.customerId)] as [string, string];
  const conf = renderConf(new URL(endpoint), { main: main!, alt: alt!, tenant: { ...tenant!, tenant: "s3t-tenant" } }, kmsKeys);
  const path = join(workDir, "s3tests.conf");
  await writeFile(path, conf, { mode: 0o600 });
  return { conf: path, target: `gateway via the global endpoint (${endpoint})` };
}

/** A customer key (KEK) of the main account, for the suite's SSE-KMS tests: its ARN, which AWS answers in x-amz-server-side-encryption-aws-kms-key-id whatever form the request named. */
async function createKmsKey(m: { regionUrl: string; adminToken: string }, customerId: string): Promise<string> {
  const res = await fetch(`${m.regionUrl}/api/customers/${customerId}/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${m.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ description: "s3-tests kms_keyid" }),
  });
  if (res.status !== 201) throw new Error(`creating a customer key for ${customerId}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { arn: string }).arn;
}

/** pytest in the suite's checkout; SIGINT at the total bound (pytest still writes its junit file), SIGKILL 60 s later. */
function runPytest(conf: string, junit: string, log: string): Promise<{ code: number | null; cut: boolean }> {
  const args = ["-m", "pytest", ...TEST_FILES, "-n0", "-p", "no:cacheprovider", "-q", "-rN", "-m", MARKERS, `--timeout=${TEST_TIMEOUT_S}`, `--junitxml=${junit}`, "-o", "junit_family=xunit1"];
  if (process.env.S3TESTS_K) args.push("-k", process.env.S3TESTS_K);
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { cwd: SUITE_DIR, env: { ...process.env, S3TEST_CONF: conf, PYTHONDONTWRITEBYTECODE: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const keep = (b: Buffer) => void (out += b.toString());
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let cut = false;
    const kill = setTimeout(() => {
      cut = true;
      say(`total bound of ${TOTAL_MS / 60_000} min reached: stopping pytest`);
      child.kill("SIGINT");
      setTimeout(() => child.kill("SIGKILL"), 60_000).unref();
    }, TOTAL_MS);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(kill);
      void writeFile(log, out).then(() => resolve({ code, cut }), reject);
    });
  });
}

async function main(): Promise<void> {
  const missing = TEST_FILES.find((f) => !existsSync(join(SUITE_DIR, f)));
  if (missing) {
    process.stderr.write(`s3-tests not found: ${join(SUITE_DIR, missing)} does not exist.\nSet S3TESTS_DIR to a checkout of ceph/s3-tests (see the README's conformance section).\n`);
    process.exit(2);
  }
  if (!existsSync(PYTHON)) {
    process.stderr.write(`python not found: ${PYTHON}. Set S3TESTS_PYTHON to a python with the suite's requirements (boto3, pytest, pytest-timeout, pytest-xdist, munch, isodate, pytz, lxml, httplib2, python-dateutil).\n`);
    process.exit(2);
  }
  const started = new Date();
  const workDir = await mkdtemp(join(tmpdir(), "s3gw-conformance-"));
  const cleanups = new Cleanups();
  cleanups.add(() => rm(workDir, { recursive: true, force: true }));
  cleanups.onSignals(async () => {});
  try {
    const { conf, target } = process.env.S3TESTS_CONF
      ? { conf: process.env.S3TESTS_CONF, target: process.env.S3TESTS_TARGET ?? "external endpoint" }
      : await gatewayConf(workDir, cleanups);
    // pytest's own output and junit file stay after the run (outside the tree), for diagnosis;
    // named by this process so that two runs at once (a shared machine) do not write one file.
    const junit = join(tmpdir(), `s3gw-conformance-${process.pid}-junit.xml`);
    const log = join(tmpdir(), `s3gw-conformance-${process.pid}-pytest.log`);
    await unlink(junit).catch(() => {});
    say(`running ${TEST_FILES.join(" ")} (one worker, ${TEST_TIMEOUT_S} s per test, ${TOTAL_MS / 60_000} min in all); pytest output: ${log}`);
    const { code, cut } = await runPytest(conf, junit, log);
    const xml = await readFile(junit, "utf8").catch(() => "");
    if (!xml) throw new Error(`pytest (exit ${code}) wrote no junit file; see ${log}`);
    const results = parseJunit(xml);
    const facts = {
      target: process.env.S3TESTS_TARGET ?? target,
      revision: revision(),
      suite: `ceph/s3-tests ${TEST_FILES.map((f) => f.replace(/^.*\//, "")).join(" + ")} (${SUITE_DIR}${process.env.S3TESTS_SUITE_REV ? `, ${process.env.S3TESTS_SUITE_REV}` : ""})`,
      markers: MARKERS,
      started,
      seconds: (Date.now() - started.getTime()) / 1000,
      ...(cut ? { note: `cut short by the ${TOTAL_MS / 60_000} min bound: tests not reached are not counted` } : {}),
    };
    const day = started.toISOString().slice(0, 10);
    const out = process.env.S3TESTS_OUT ?? join(REPO_ROOT, "bench", "conformance", `results-${day}.md`);
    await writeFile(out, renderReport(facts, results, { perTest: false }));
    if (process.env.CONFORMANCE_LATEST) await writeFile(process.env.CONFORMANCE_LATEST, renderReport(facts, results, { perTest: true }));
    process.stdout.write(`${summaryLine(results)}\nreport: ${out}\n`);
  } finally {
    await cleanups.run();
  }
}

await main();
