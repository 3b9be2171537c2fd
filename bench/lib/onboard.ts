// A benchmark customer as an operator would set one up: routed at the global router, registered
// in its home region (FI-HEL), with an access key from the region's API (registered with the
// router by the region, so SigV4 requests route through the global endpoint).
import type { S3Target } from "./presign.ts";

export interface Onboarded {
  customerId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

async function expect(res: Response, status: number, what: string): Promise<unknown> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/** `bypassGovernance`: the key may delete GOVERNANCE-retained versions (the conformance suite's cleanup does). */
export async function onboardCustomer(opts: { globalUrl: string; regionUrl: string; adminToken: string; customerId: string; bypassGovernance?: boolean }): Promise<Onboarded> {
  const admin = { authorization: `Bearer ${opts.adminToken}` };
  const json = { "content-type": "application/json", ...admin };
  const id = opts.customerId;
  await expect(await fetch(`${opts.globalUrl}/routing/customers/${id}?region_id=FI-HEL`, { method: "POST", headers: admin }), 201, `routing ${id}`);
  await expect(
    await fetch(`${opts.regionUrl}/api/customers/${id}/register`, {
      method: "POST", headers: json,
      body: JSON.stringify({ customer_name: "Bench Oy", country: "FI", data_residency_requirement: "strict", primary_contact_email: "ops@bench.fi", compliance_officer_email: "dpo@bench.fi" }),
    }),
    201, `registering ${id} in FI-HEL`,
  );
  const key = (await expect(
    await fetch(`${opts.regionUrl}/api/customers/${id}/access-keys`, { method: "POST", headers: json, body: JSON.stringify({ description: "bench", permission: "read-write", bypass_governance: opts.bypassGovernance ?? false }) }),
    201, `access key for ${id}`,
  )) as { access_key_id: string; secret_access_key: string; registered_with_router?: boolean };
  return { customerId: id, accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key };
}

export function targetsOf(key: Onboarded, globalUrl: string, regionUrl: string): { global: S3Target; direct: S3Target } {
  const creds = { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, region: "us-east-1" };
  return { global: { endpoint: globalUrl, ...creds }, direct: { endpoint: regionUrl, ...creds } };
}
