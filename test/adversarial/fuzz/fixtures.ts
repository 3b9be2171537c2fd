import { adminAuth } from "../../../apps/regional-gateway/test/harness.ts";
import type { Credentials } from "../../support/s3-clients.ts";
import { onboard, type RegionId, type TestStack } from "../../support/stack.ts";
import { rawSigned } from "../signing.ts";

export interface Upload { bucket: string; key: string; uploadId: string; etag: string }

export interface FuzzCustomer {
  id: string;
  region: RegionId;
  buckets: string[];
  keys: string[];
  full: Credentials;
  readOnly: Credentials;
  /** Limited to buckets[0]. */
  limited: Credentials;
  uploads: Upload[];
  /** Access keys the fuzz may disable or delete (never the ones it signs with). */
  victimKeys: string[];
  dsrIds: string[];
}

export interface RegionTokens { auditor: string; officer: string; victimTokenIds: string[] }

export interface Fixtures {
  global: string;
  regions: Record<RegionId, string>;
  /** The two S3 tenants, in different regions. */
  customers: FuzzCustomer[];
  /** A third customer for routes whose valid outcome would stop a tenant's S3 traffic (rules, own storage). */
  sidelined: { id: string; region: RegionId };
  tokens: Record<RegionId, RegionTokens>;
  eventIds: string[];
}

const json = (url: string, method: string, body: unknown, headers: Record<string, string> = adminAuth) =>
  fetch(url, { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

async function expectStatus(res: Response, status: number, what: string): Promise<Response> {
  if (res.status !== status) throw new Error(`fixture ${what}: ${res.status} ${await res.text()}`);
  return res;
}

async function accessKey(region: string, customer: string, body: Record<string, unknown>): Promise<Credentials> {
  const res = await expectStatus(await json(`${region}/api/customers/${customer}/access-keys`, "POST", body), 201, `access key for ${customer}`);
  const k = (await res.json()) as { access_key_id: string; secret_access_key: string };
  return { accessKeyId: k.access_key_id, secretAccessKey: k.secret_access_key };
}

const s3ok = async (base: string, creds: Credentials, method: string, path: string, body = "", headers: Record<string, string> = {}) => {
  const res = await rawSigned(base, { method, path, creds, body, headers });
  if (res.status !== 200 && res.status !== 204) throw new Error(`fixture ${method} ${path}: ${res.status} ${res.text}`);
  return res;
};

async function s3Tenant(stack: TestStack, id: string, region: RegionId, country: string, prefix: string): Promise<FuzzCustomer> {
  await onboard(stack, id, region, { customer_name: `Fuzz ${id}`, country, data_residency_requirement: "strict" });
  const base = stack.regions[region].url;
  const buckets = [`${prefix}-one`, `${prefix}-two`, `${prefix}-three`];
  const full = await accessKey(base, id, { description: "fuzz full" });
  const readOnly = await accessKey(base, id, { description: "fuzz read-only", permission: "read-only" });
  const limited = await accessKey(base, id, { description: "fuzz limited", allowed_buckets: [buckets[0]] });
  const victimKeys = [];
  for (let i = 0; i < 3; i++) victimKeys.push((await accessKey(base, id, { description: `victim ${i}` })).accessKeyId);
  const g = stack.global.url;
  for (const b of buckets) await s3ok(g, full, "PUT", `/${b}`);
  const keys = ["doc.txt", "dir/nested.txt", "uploads/../victim.txt", "subject.json", "big.bin"];
  for (const b of buckets.slice(0, 2)) {
    for (const k of keys) {
      const body = k === "big.bin" ? "B".repeat(70_000) : `fixture ${b}/${k}`;
      await s3ok(g, full, "PUT", `/${b}/${k}`, body, k === "subject.json" ? { "x-amz-meta-data-subject-id": `subject@${id}.example` } : {});
    }
  }
  const uploads: Upload[] = [];
  for (let i = 0; i < 3; i++) {
    const key = `mp/${i}.bin`;
    const created = await s3ok(g, full, "POST", `/${buckets[0]}/${key}?uploads`);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.text)![1]!;
    const part = await s3ok(g, full, "PUT", `/${buckets[0]}/${key}?partNumber=1&uploadId=${encodeURIComponent(uploadId)}`, `part of ${key}`);
    uploads.push({ bucket: buckets[0]!, key, uploadId, etag: String(part.headers.etag) });
  }
  const dsrIds = [];
  for (const request_type of ["access", "erasure", "restriction", "rectification"]) {
    const res = await expectStatus(await json(`${base}/api/gdpr/requests`, "POST", { customer_id: id, data_subject_id: `subject@${id}.example`, request_type }), 201, "gdpr request");
    dsrIds.push(((await res.json()) as { request_id: string }).request_id);
  }
  return { id, region, buckets, keys, full, readOnly, limited, uploads, victimKeys, dsrIds };
}

async function mint(base: string, name: string, role: string, customerId?: string): Promise<{ token: string; id: string }> {
  const res = await expectStatus(await json(`${base}/api/tokens`, "POST", { name, role, ...(customerId ? { customer_id: customerId } : {}) }), 201, `token ${name}`);
  const t = (await res.json()) as { token: string; token_id: string };
  return { token: t.token, id: t.token_id };
}

/** Two S3 tenants in different regions with keys, buckets, objects, uploads and GDPR requests; tokens of each role. */
export async function buildFixtures(stack: TestStack): Promise<Fixtures> {
  const regions = Object.fromEntries(Object.entries(stack.regions).map(([k, r]) => [k, r.url])) as Record<RegionId, string>;
  const customers = [await s3Tenant(stack, "fz-alpha", "FI-HEL", "FI", "fza"), await s3Tenant(stack, "fz-bravo", "US-EAST", "US", "fzb")];
  const sidelined = { id: "fz-side", region: "DE-FRA" as RegionId };
  await onboard(stack, sidelined.id, sidelined.region, { customer_name: "Fuzz sidelined", country: "DE", data_residency_requirement: "strict" });
  const tokens = {} as Record<RegionId, RegionTokens>;
  for (const region of Object.keys(regions) as RegionId[]) {
    const home = customers.find((c) => c.region === region)?.id ?? sidelined.id;
    const auditor = await mint(regions[region], "fuzz auditor", "auditor");
    const officer = await mint(regions[region], "fuzz officer", "compliance_officer", home);
    const victims = [await mint(regions[region], "victim a", "auditor"), await mint(regions[region], "victim b", "compliance_officer", home)];
    tokens[region] = { auditor: auditor.token, officer: officer.token, victimTokenIds: victims.map((v) => v.id) };
  }
  const eventIds: string[] = [];
  for (const region of Object.keys(regions) as RegionId[]) {
    const res = await fetch(`${regions[region]}/api/compliance/alerts?limit=5`, { headers: adminAuth });
    if (res.ok) for (const e of ((await res.json()) as { items: { event_id?: string; id?: string }[] }).items) eventIds.push(String(e.event_id ?? e.id));
  }
  eventIds.push("00000000-0000-4000-8000-000000000000");
  return { global: stack.global.url, regions, customers, sidelined, tokens, eventIds };
}
