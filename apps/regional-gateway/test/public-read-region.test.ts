import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, bearer, mintToken, registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";

// A lone region (no global router) in trusted-header mode: public_read_buckets is decided and
// kept unique by the region itself, and an anonymous request is one with no X-Customer-ID.
let fi: TestRegion;
const RULES = { allowed_content_types: null, max_object_size_bytes: null, reject_duplicate_content: false, block_cross_border_access: false, anomaly_threshold_per_hour: 100_000 };
const putRules = (customer: string, buckets: unknown, auth: Record<string, string> = adminAuth) =>
  fetch(`${fi.url}/api/customers/${customer}/rules`, { method: "PUT", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify({ ...RULES, public_read_buckets: buckets }) });
const anon = (path: string, init: RequestInit = {}) => fetch(`${fi.url}${path}`, init);

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  const alpha = await registerWithBuckets(fi.url, "alpha-oy", ["www", "vault"]);
  const beta = await registerWithBuckets(fi.url, "beta-oy", ["www"], { customer_name: "Beta Oy" });
  expect((await alpha("/www/page.html", { method: "PUT", body: "alpha page" })).status).toBe(200);
  expect((await alpha("/vault/k.txt", { method: "PUT", body: "alpha vault" })).status).toBe(200);
  expect((await beta("/www/page.html", { method: "PUT", body: "beta page" })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await fi?.destroy();
});

describe("public_read_buckets in a lone region", () => {
  it("only an admin or the customer's compliance officer sets it; the change is audited", async () => {
    const auditor = await mintToken(fi.url, "alpha-auditor", "auditor", "alpha-oy");
    expect((await putRules("alpha-oy", ["www"], bearer(auditor))).status).toBe(403);
    expect((await anon("/www/page.html")).status).toBe(403);
    const officer = await mintToken(fi.url, "alpha-officer", "compliance_officer", "alpha-oy");
    const res = await putRules("alpha-oy", ["www", "www"], bearer(officer));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rules: { public_read_buckets: string[] }; changed: string[] };
    expect(body.rules.public_read_buckets).toEqual(["www"]);
    expect(body.changed).toContain("public_read_buckets");
    const audit = await fetch(`${fi.url}/api/audit/operations?customer_id=alpha-oy&operation=PutComplianceRules&result=success`, { headers: adminAuth });
    const rows = ((await audit.json()) as { items: Array<{ compliance_info: { changed?: Record<string, unknown> } }> }).items;
    expect(rows[0]!.compliance_info.changed!.public_read_buckets).toEqual({ from: [], to: ["www"] });
  });

  it("serves the anonymous read (no X-Customer-ID) of the public bucket, as its owner's", async () => {
    expect(await (await anon("/www/page.html")).text()).toBe("alpha page");
    expect(await (await anon("/s3/www/page.html")).text()).toBe("alpha page");
    expect((await anon("/vault/k.txt")).status).toBe(403);
    expect((await anon("/www/page.html?response-content-type=text/html")).status).toBe(400);
    // The operator's trusted header names the customer: beta-oy's own bucket, not alpha-oy's public one.
    expect(await (await anon("/www/page.html", { headers: { "x-customer-id": "beta-oy" } })).text()).toBe("beta page");
  });

  it("refuses a second customer of the region the same public name (409), even without a router", async () => {
    const res = await putRules("beta-oy", ["www"]);
    expect(res.status).toBe(409);
    expect(await res.text()).toMatch(/public bucket name www is taken by another customer/);
    expect(await (await anon("/www/page.html")).text()).toBe("alpha page");
  });

  it("a rule written around the service (two owners of one name) serves neither", async () => {
    await fi.deps.db.execute(
      `insert into compliance_rules (customer_id, rule_type, rule_config, enabled, created_at, updated_at) values ('beta-oy', 'public_read_buckets', '{"buckets":["www"]}', true, now(), now())
       on conflict (customer_id, rule_type) do update set rule_config = excluded.rule_config, enabled = true`,
    );
    expect((await anon("/www/page.html")).status).toBe(403);
    await fi.deps.db.execute(`update compliance_rules set enabled = false where customer_id = 'beta-oy' and rule_type = 'public_read_buckets'`);
    expect(await (await anon("/www/page.html")).text()).toBe("alpha page");
  });

  it("rule removed: refused again at once", async () => {
    expect((await putRules("alpha-oy", [])).status).toBe(200);
    expect((await anon("/www/page.html")).status).toBe(403);
  });
});
