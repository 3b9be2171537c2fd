// The suite's s3tests.conf: the endpoint under test and its accounts. s3-tests wants three
// accounts (main, alt, tenant) plus IAM sections it reads unconditionally; the IAM ones reuse
// main/alt keys (their tests are deselected, and the suite's teardown ignores IAM errors).
import { spawnSync } from "node:child_process";

export interface Account {
  accessKeyId: string;
  secretAccessKey: string;
  /** the canonical id and display name the server reports as Owner (ACL tests compare them) */
  userId: string;
  displayName: string;
  email: string;
}

export interface SuiteAccounts {
  main: Account;
  alt: Account;
  tenant: Account & { tenant: string };
}

/** Owner id and display name as the server reports them in ListBuckets, asked with boto3 itself. */
export function ownerOf(python: string, endpoint: string, key: { accessKeyId: string; secretAccessKey: string }): { id: string; displayName: string } {
  const script = [
    "import boto3, json, sys",
    "c = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], region_name='us-east-1')",
    "o = c.list_buckets().get('Owner', {})",
    "print(json.dumps({'id': o.get('ID', ''), 'displayName': o.get('DisplayName', '')}))",
  ].join("\n");
  const r = spawnSync(python, ["-c", script, endpoint, key.accessKeyId, key.secretAccessKey], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`ListBuckets with boto3 against ${endpoint} failed:\n${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim()) as { id: string; displayName: string };
}

/** The suite's SSE-KMS tests name two keys of the main account (`kms_keyid`, `kms_keyid2`). */
export function renderConf(endpoint: URL, a: SuiteAccounts, kmsKeyIds: [string, string]): string {
  const user = (x: Account) => [
    `display_name = ${x.displayName}`,
    `user_id = ${x.userId}`,
    `email = ${x.email}`,
    `access_key = ${x.accessKeyId}`,
    `secret_key = ${x.secretAccessKey}`,
  ];
  return [
    "[DEFAULT]",
    `host = ${endpoint.hostname}`,
    `port = ${endpoint.port}`,
    "is_secure = False",
    "ssl_verify = False",
    "",
    "[fixtures]",
    "bucket prefix = s3t-{random}-",
    "",
    "[s3 main]",
    ...user(a.main),
    `kms_keyid = ${kmsKeyIds[0]}`,
    `kms_keyid2 = ${kmsKeyIds[1]}`,
    "",
    "[s3 alt]",
    ...user(a.alt),
    "",
    "[s3 tenant]",
    ...user(a.tenant),
    `tenant = ${a.tenant.tenant}`,
    "",
    "[iam]",
    ...user(a.main),
    "",
    "[iam root]",
    ...user(a.main).filter((l) => !l.startsWith("display_name")),
    "",
    "[iam alt root]",
    ...user(a.alt).filter((l) => !l.startsWith("display_name")),
    "",
  ].join("\n");
}
