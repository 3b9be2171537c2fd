import { readdir } from "node:fs/promises";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import pino from "pino";
import type postgres from "postgres";
import { expect } from "vitest";
import { startRegionalGateway, type RunningGateway } from "../src/start.ts";
import { adminAuth, register, startTestRegion, type TestRegion } from "./harness.ts";

export const BACKEND_CUSTOMER = "vault-host";

export interface Backend {
  region: TestRegion;
  url: string;
  key: { access_key_id: string; secret_access_key: string };
  sdk: S3Client;
  /** Every key in a backend bucket, as the backend's own S3 API lists it. */
  keys(bucket: string): Promise<string[]>;
  newKey(): Promise<{ access_key_id: string; secret_access_key: string }>;
}

/**
 * The "customer bucket": another regional gateway, whose SigV4 S3 API is a real
 * S3-compatible server. Its own customer owns the buckets the gateway under test writes to.
 */
/** `objectLock`: the buckets are created with S3 object lock (a lock-enforcing customer bucket). */
export async function startBackend(buckets: string[], opts: { objectLock?: boolean } = {}): Promise<Backend> {
  const region = await startTestRegion("DE-FRA");
  expect((await register(region.url, BACKEND_CUSTOMER, { country: "Germany", data_residency_requirement: "strict" })).status).toBe(201);
  const newKey = async () => {
    const res = await fetch(`${region.url}/api/customers/${BACKEND_CUSTOMER}/access-keys`, {
      method: "POST",
      headers: { "content-type": "application/json", ...adminAuth },
      body: JSON.stringify({ description: "gateway under test" }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { access_key_id: string; secret_access_key: string };
  };
  const key = await newKey();
  const sdk = new S3Client({
    endpoint: region.url,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key },
  });
  for (const Bucket of buckets) await sdk.send(new CreateBucketCommand({ Bucket, ...(opts.objectLock ? { ObjectLockEnabledForBucket: true } : {}) }));
  const keys = async (Bucket: string) => ((await sdk.send(new ListObjectsV2Command({ Bucket }))).Contents ?? []).map((o) => o.Key!);
  return { region, url: region.url, key, sdk, keys, newKey };
}

export interface CapturedGateway extends RunningGateway {
  storageDir: string;
  databaseUrl: string;
  /** Every log line the gateway wrote, at debug level and up. */
  logs: string[];
  destroy(): Promise<void>;
}

/** A test region whose logger writes into memory, so a test can read every line. */
export async function startCapturedRegion(regionId: string): Promise<CapturedGateway> {
  const base = await startTestRegion(regionId);
  await base.close();
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const gw = await startRegionalGateway({ ...base.deps.config, port: 0 }, { logger: pino({ level: "debug" }, stream) });
  return {
    ...gw,
    storageDir: base.storageDir,
    databaseUrl: base.databaseUrl,
    logs,
    destroy: async () => {
      await gw.close();
      await base.destroy();
    },
  };
}

/** fetch that keeps every answer's body, so a test can show no secret was ever answered. */
export function recordingFetch() {
  const bodies: string[] = [];
  const call = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(url, { ...init, duplex: "half" } as RequestInit);
    const text = await res.text();
    bodies.push(JSON.stringify([...res.headers]), text);
    return { status: res.status, text, json: () => JSON.parse(text) as Record<string, any> };
  };
  return { call, bodies };
}

/** Every text-like value in every table, as text: where a plaintext secret would show up. */
export async function everyStoredText(sql: postgres.Sql): Promise<string> {
  const columns = await sql<{ table_name: string; column_name: string }[]>`
    select table_name, column_name from information_schema.columns
    where table_schema = 'public' and data_type in ('text', 'character varying', 'jsonb', 'json')`;
  const parts: string[] = [];
  for (const { table_name, column_name } of columns) {
    const rows = await sql`select ${sql(column_name)}::text as v from ${sql(table_name)}`;
    parts.push(...rows.map((r) => String(r.v)));
  }
  return parts.join("\n");
}

/** Every file under a directory, temporary ones included. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => `${e.parentPath}/${e.name}`);
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
