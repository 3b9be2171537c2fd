import { readdir } from "node:fs/promises";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatedBody, hashStream } from "./support/bytes.ts";
import { streamingPut } from "./support/http.ts";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import { onboard, startStack, type TestStack } from "./support/stack.ts";

let stack: TestStack;
const viaGlobal = (customerId: string) => (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${stack.global.url}/s3${path}`, { ...init, headers: { "x-customer-id": customerId, ...(init.headers ?? {}) } });

beforeAll(async () => {
  stack = await startStack();
  await onboard(stack, "acme-corp", "FI-HEL", { customer_name: "Acme Corporation", country: "Finland", data_residency_requirement: "strict" });
  await onboard(stack, "bayer-like", "DE-FRA", { customer_name: "Rhein Pharma", country: "Germany", data_residency_requirement: "jurisdiction" });
  await onboard(stack, "us-health", "US-EAST", { customer_name: "US Health", country: "US", data_residency_requirement: "strict" });
});
afterAll(() => stack?.close());

async function tenantDirs(region: keyof TestStack["regions"]): Promise<string[]> {
  return (await readdir(stack.regions[region].storageDir)).filter((d) => d.startsWith("tenant-"));
}

describe("two layers, end to end", () => {
  it("answers routing info in the seed's shape, holding no customer details", async () => {
    const info = (await (await fetch(`${stack.global.url}/routing/customers/acme-corp`, { headers: adminAuth })).json()) as { available_regions: string[] };
    info.available_regions.sort();
    expect(info).toEqual({
      customer_id: "acme-corp",
      primary_region: "FI-HEL",
      regional_endpoint: stack.regions["FI-HEL"].url,
      available_regions: ["FI-HEL", "DE-FRA", "US-EAST"].sort(),
      note: "Detailed compliance data is stored in regional database",
    });
    const sql = postgresClient(stack.globalDatabaseUrl, { max: 1 });
    try {
      const tables = await sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`;
      expect(tables.map((t) => t.table_name)).toEqual(["access_key_routing", "customer_routing", "providers", "public_bucket_routing", "regions", "routing_log"]);
      const text = JSON.stringify(await sql`select * from customer_routing`);
      expect(text).not.toMatch(/Acme Corporation|contact@|dpo@|Finland|strict/);
    } finally {
      await sql.end();
    }
  });

  it("stores, reads and lists through the global endpoint, bytes only in the home region", async () => {
    const acme = viaGlobal("acme-corp");
    expect((await acme("/documents", { method: "PUT" })).status).toBe(200);
    const put = await acme("/documents/contract.pdf", { method: "PUT", body: "signed contract", headers: { "content-type": "application/pdf" } });
    expect(put.status).toBe(200);
    const get = await acme("/documents/contract.pdf");
    expect(await get.text()).toBe("signed contract");
    expect(get.headers.get("content-type")).toBe("application/pdf");
    expect(await (await acme("/documents?list-type=2")).text()).toContain("<Key>contract.pdf</Key>");
    const direct = await fetch(`${stack.regions["FI-HEL"].url}/s3/documents/contract.pdf`, { headers: { "x-customer-id": "acme-corp" } });
    expect(await direct.text()).toBe("signed contract");
    expect(await tenantDirs("FI-HEL")).toEqual(["tenant-acme-corp"]);
    expect(await tenantDirs("DE-FRA")).toEqual([]);
    expect(await tenantDirs("US-EAST")).toEqual([]);
  });

  it("keeps customers apart even with identical bucket and key names in different regions", async () => {
    const de = viaGlobal("bayer-like");
    await de("/documents", { method: "PUT" });
    await de("/documents/contract.pdf", { method: "PUT", body: "german contract" });
    expect(await (await de("/documents/contract.pdf")).text()).toBe("german contract");
    expect(await (await viaGlobal("acme-corp")("/documents/contract.pdf")).text()).toBe("signed contract");
    expect(await (await de("")).text()).not.toContain("acme");
    expect(await tenantDirs("DE-FRA")).toEqual(["tenant-bayer-like"]);
    expect(await tenantDirs("FI-HEL")).toEqual(["tenant-acme-corp"]);
  });

  it("refuses unknown customers at the global endpoint and foreign customers at a region", async () => {
    const unknown = await viaGlobal("nobody")("/documents");
    expect(unknown.status).toBe(403);
    expect(await unknown.text()).toContain("<Code>AccessDenied</Code>");
    const missing = await fetch(`${stack.global.url}/s3/documents`);
    expect(missing.status).toBe(403);
    const foreign = await fetch(`${stack.regions["DE-FRA"].url}/s3/documents/contract.pdf`, { headers: { "x-customer-id": "acme-corp" } });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain("not homed in region DE-FRA");
  });

  it("streams a 64 MiB object both ways through the global router, intact", async () => {
    const size = 64 * 1024 * 1024;
    const body = generatedBody(size, 42);
    const put = await streamingPut(`${stack.global.url}/s3/documents/big.bin`, { "x-customer-id": "acme-corp", "content-type": "application/octet-stream" }, body.stream, size);
    expect(put.status, put.text).toBe(200);
    const expected = body.sha256();
    expect(put.headers["x-amz-checksum-sha256"]).toBe(Buffer.from(expected, "hex").toString("base64"));
    const get = await viaGlobal("acme-corp")("/documents/big.bin");
    expect(get.headers.get("content-length")).toBe(String(size));
    expect(await hashStream(get.body!)).toEqual({ sha256: expected, size });
    const ranged = await viaGlobal("acme-corp")("/documents/big.bin", { headers: { range: `bytes=${size - 10}-` } });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(10);
  });

  it("writes one routing_log row per routed request, without keys or bucket names", async () => {
    await new Promise((r) => setTimeout(r, 800));
    const sql = postgresClient(stack.globalDatabaseUrl, { max: 1 });
    try {
      const rows = await sql`select customer_id, region_id, method, status_code from routing_log where customer_id = 'acme-corp'`;
      expect(rows.length).toBeGreaterThanOrEqual(8);
      expect(rows.every((r) => r.region_id === "FI-HEL")).toBe(true);
      expect(JSON.stringify(await sql`select * from routing_log`)).not.toMatch(/contract|documents|big\.bin/);
    } finally {
      await sql.end();
    }
  });

  it("answers 503 for the customers of a stopped region only", async () => {
    await stack.regions["US-EAST"].close();
    const started = Date.now();
    const down = await viaGlobal("us-health")("/scans");
    expect(down.status).toBe(503);
    expect(await down.text()).toContain("<Code>ServiceUnavailable</Code>");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await (await viaGlobal("acme-corp")("/documents/contract.pdf")).text()).toBe("signed contract");
    expect((await viaGlobal("bayer-like")("/documents/contract.pdf")).status).toBe(200);
    const health = (await (await fetch(`${stack.global.url}/health`)).json()) as { regions: { region_id: string; status: string }[] };
    expect(health.regions.find((r) => r.region_id === "US-EAST")?.status).toBe("down");
  });
});
