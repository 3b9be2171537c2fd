import { readdir } from "node:fs/promises";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import { onboard, startStack, type RegionId, type TestStack } from "./support/stack.ts";

interface Key { access_key_id: string; secret_access_key: string }

let stack: TestStack;
const sqls: postgres.Sql[] = [];
const db = (url: string) => {
  const sql = postgresClient(url, { max: 1 });
  sqls.push(sql);
  return sql;
};

beforeAll(async () => {
  stack = await startStack();
  await onboard(stack, "acme-corp", "FI-HEL", { customer_name: "Acme Corporation", country: "Finland", data_residency_requirement: "strict" });
  await onboard(stack, "globex", "DE-FRA", { customer_name: "Globex", country: "Germany", data_residency_requirement: "strict" });
});
afterAll(async () => {
  await Promise.all(sqls.map((s) => s.end()));
  await stack?.close();
});

const keysUrl = (region: RegionId, customer: string) => `${stack.regions[region].url}/api/customers/${customer}/access-keys`;

async function createKey(region: RegionId, customer: string): Promise<Response> {
  return fetch(keysUrl(region, customer), { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: "{}" });
}

/** A SigV4-signed request to the global endpoint, as an SDK would send it (plus an agreeing X-Customer-ID). */
async function signed(key: Key, method: string, path: string, customer: string): Promise<Response> {
  const url = new URL(`${stack.global.url}${path}`);
  const signer = new SignatureV4({ service: "s3", region: "us-east-1", credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key }, sha256: Sha256 });
  const request = await signer.sign({
    method,
    protocol: "http:",
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-customer-id": customer },
  });
  const headers = { ...(request.headers as Record<string, string>) };
  delete headers.host;
  return fetch(url, { method, headers });
}

async function servedBy(requestId: string): Promise<RegionId[]> {
  const regions: RegionId[] = [];
  for (const id of ["FI-HEL", "DE-FRA", "US-EAST"] as RegionId[]) {
    const rows = await db(stack.regions[id].databaseUrl)`select 1 from operations_log where request_id = ${requestId}`;
    if (rows.length > 0) regions.push(id);
  }
  return regions;
}

describe("access keys across the two layers", () => {
  it("registers a new key's id (never its secret) with the global router, which routes signed requests by it", async () => {
    const res = await createKey("FI-HEL", "acme-corp");
    expect(res.status).toBe(201);
    const key = (await res.json()) as Key;
    const global = db(stack.globalDatabaseUrl);
    expect(await global`select access_key_id, customer_id from access_key_routing`).toEqual([{ access_key_id: key.access_key_id, customer_id: "acme-corp" }]);
    expect(JSON.stringify(await global`select * from access_key_routing`)).not.toContain(key.secret_access_key);

    const list = await signed(key, "GET", "/", "acme-corp");
    expect(list.status).toBe(200);
    expect(await list.text()).toContain("ListAllMyBucketsResult");
    expect(await servedBy(list.headers.get("x-amz-request-id")!)).toEqual(["FI-HEL"]);
    const [logged] = await db(stack.regions["FI-HEL"].databaseUrl)`
      select compliance_info from operations_log where operation_type = 'CreateAccessKey' and status_code = 201`;
    expect(logged!.compliance_info).toMatchObject({ registered_with_router: true });
  });

  it("fails to create a key the router cannot route, leaving nothing behind in either layer", async () => {
    const fi = stack.regions["FI-HEL"];
    const registerLoner = () =>
      fetch(`${fi.url}/api/customers/loner/register`, {
        method: "POST",
        headers: { "content-type": "application/json", ...adminAuth },
        body: JSON.stringify({ customer_name: "Loner", country: "Finland", data_residency_requirement: "strict", primary_contact_email: "a@loner.example", compliance_officer_email: "dpo@loner.example" }),
      });
    // A region that knows the router asks it first: a customer it never routed is refused.
    const refused = await registerLoner();
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("CUSTOMER_NOT_ROUTED");
    // Registered while the region ran standalone (before it was given GLOBAL_ROUTER_URL): the
    // router has no home region for it.
    const routerUrl = fi.deps.config.globalRouterUrl;
    fi.deps.config.globalRouterUrl = undefined;
    try {
      expect((await registerLoner()).status).toBe(201);
    } finally {
      fi.deps.config.globalRouterUrl = routerUrl;
    }
    const res = await createKey("FI-HEL", "loner");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("not routed");
    expect(await db(stack.regions["FI-HEL"].databaseUrl)`select 1 from access_keys where customer_id = 'loner'`).toHaveLength(0);
    expect(await db(stack.globalDatabaseUrl)`select 1 from access_key_routing where customer_id = 'loner'`).toHaveLength(0);
  });

  it("keeps a disabled key routed, and unregisters a deleted one so the router refuses it", async () => {
    const key = (await (await createKey("DE-FRA", "globex")).json()) as Key;
    const global = db(stack.globalDatabaseUrl);
    const disable = await fetch(`${keysUrl("DE-FRA", "globex")}/${key.access_key_id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...adminAuth },
      body: JSON.stringify({ status: "disabled" }),
    });
    expect(disable.status).toBe(200);
    expect(await global`select customer_id from access_key_routing where access_key_id = ${key.access_key_id}`).toEqual([{ customer_id: "globex" }]);

    expect((await fetch(`${keysUrl("DE-FRA", "globex")}/${key.access_key_id}`, { method: "DELETE", headers: adminAuth })).status).toBe(204);
    expect(await global`select 1 from access_key_routing where access_key_id = ${key.access_key_id}`).toHaveLength(0);
    const refused = await signed(key, "GET", "/", "globex");
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("<Code>InvalidAccessKeyId</Code>");
  });
});

describe("path-style S3 at the root of both layers", () => {
  const viaGlobal = (customer: string, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${stack.global.url}${path}`, { ...init, headers: { "x-customer-id": customer, ...(init.headers ?? {}) } });

  it("creates, writes, reads and lists at the root through the router, bytes only in the home region", async () => {
    expect((await viaGlobal("globex", "/reports", { method: "PUT" })).status).toBe(200);
    expect((await viaGlobal("globex", "/reports/2026/q1.csv", { method: "PUT", body: "a,b\n1,2\n" })).status).toBe(200);
    expect(await (await viaGlobal("globex", "/reports/2026/q1.csv")).text()).toBe("a,b\n1,2\n");
    expect(await (await viaGlobal("globex", "/reports?list-type=2&prefix=2026/")).text()).toContain("<Key>2026/q1.csv</Key>");
    expect(await (await viaGlobal("globex", "/s3/reports/2026/q1.csv")).text()).toBe("a,b\n1,2\n");
    const tenants = async (id: RegionId) => (await readdir(stack.regions[id].storageDir)).filter((d) => d.startsWith("tenant-"));
    expect(await tenants("DE-FRA")).toContain("tenant-globex");
    expect(await tenants("FI-HEL")).not.toContain("tenant-globex");
    expect(await tenants("US-EAST")).toEqual([]);
  });

  it("records the client address the router vouches for, not one the client wrote", async () => {
    const res = await viaGlobal("acme-corp", "/", { headers: { "x-forwarded-for": "198.51.100.9", "x-s3gw-forwarded-proof": `t=1,v1=${"0".repeat(64)}` } });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-amz-request-id")!;
    const [row] = await db(stack.regions["FI-HEL"].databaseUrl)`select source_ip from operations_log where request_id = ${requestId}`;
    expect(row!.source_ip).toBe("127.0.0.1");
  });

  it("keeps management routes on both layers and refuses reserved bucket names", async () => {
    expect(((await (await fetch(`${stack.global.url}/health`)).json()) as { service: string }).service).toBe("global-router");
    expect((await fetch(`${stack.regions["FI-HEL"].url}/health`)).status).toBe(200);
    for (const name of ["health", "api", "routing"]) {
      const res = await viaGlobal("acme-corp", `/s3/${name}`, { method: "PUT" });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("<Code>InvalidBucketName</Code>");
    }
  });
});
