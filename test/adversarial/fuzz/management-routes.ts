import type { RegionId } from "../../support/stack.ts";
import type { Fixtures, FuzzCustomer } from "./fixtures.ts";
import type { Rng } from "./rng.ts";

/** One management request before mutation. `keep` names body fields no mutation may touch. */
export interface MgmtShape {
  region: RegionId;
  path: string;
  query?: string;
  body?: Record<string, unknown>;
  keep?: string[];
  headers?: Record<string, string>;
}

export interface MgmtRoute {
  /** "METHOD /path" as the app registers it. */
  name: string;
  /** The layer that serves it. */
  home: "global" | "region";
  method: string;
  /** /internal/*: signed by a region with the shared secret. */
  internal?: boolean;
  build(rng: Rng, fx: Fixtures): MgmtShape;
}

const tenant = (rng: Rng, fx: Fixtures): FuzzCustomer => rng.pick(fx.customers);
const anyCustomer = (rng: Rng, fx: Fixtures) => {
  const t = tenant(rng, fx);
  return rng.chance(0.85) ? { id: t.id, region: t.region } : rng.pick([fx.sidelined, { id: "fz-nobody", region: t.region }, { id: t.id, region: rng.pick(["FI-HEL", "DE-FRA", "US-EAST"] as RegionId[]) }]);
};
const anyRegion = (rng: Rng): RegionId => rng.pick(["FI-HEL", "DE-FRA", "US-EAST"]);
const someUuid = (rng: Rng, ids: string[]) => (ids.length && rng.chance(0.8) ? rng.pick(ids) : rng.pick(["00000000-0000-4000-8000-000000000000", "not-a-uuid", "ffffffff-ffff-ffff-ffff-ffffffffffff"]));
const obj = (rng: Rng, t: FuzzCustomer) => ({ customer_id: t.id, bucket: rng.pick(t.buckets.slice(0, 2)), key: rng.pick(t.keys) });

/**
 * Every management route of both layers (apps/global-router/src/app.ts + routes, and
 * apps/regional-gateway/src/app.ts + routes/api/*.ts), each with a valid request shape.
 */
export const MANAGEMENT_ROUTES: MgmtRoute[] = [
  // Global router.
  { name: "GET /health", home: "global", method: "GET", build: () => ({ region: "FI-HEL", path: "/health" }) },
  { name: "GET /metrics", home: "global", method: "GET", build: () => ({ region: "FI-HEL", path: "/metrics" }) },
  { name: "GET /regions", home: "global", method: "GET", build: () => ({ region: "FI-HEL", path: "/regions" }) },
  { name: "GET /providers", home: "global", method: "GET", build: () => ({ region: "FI-HEL", path: "/providers" }) },
  { name: "GET /ops/dashboard", home: "global", method: "GET", build: (rng) => ({ region: "FI-HEL", path: "/ops/dashboard", headers: rng.chance(0.5) ? { accept: "application/json" } : {} }) },
  {
    name: "POST /routing/customers/:id", home: "global", method: "POST",
    build: (rng) => ({ region: "FI-HEL", path: `/routing/customers/fz-routed-${rng.int(40)}`, query: `region_id=${anyRegion(rng)}`, body: rng.chance(0.5) ? { routing_notes: "fuzz" } : undefined }),
  },
  { name: "GET /routing/customers/:id", home: "global", method: "GET", build: (rng, fx) => ({ region: "FI-HEL", path: `/routing/customers/${anyCustomer(rng, fx).id}` }) },
  {
    name: "PUT /internal/access-keys/:akid", home: "global", method: "PUT", internal: true,
    build: (rng, fx) => ({ region: "FI-HEL", path: `/internal/access-keys/FZVICTIM${String(rng.int(1e8)).padStart(10, "0")}`, body: { customer_id: anyCustomer(rng, fx).id } }),
  },
  {
    name: "DELETE /internal/access-keys/:akid", home: "global", method: "DELETE", internal: true,
    build: (rng) => ({ region: "FI-HEL", path: `/internal/access-keys/FZVICTIM${String(rng.int(1e8)).padStart(10, "0")}` }),
  },
  { name: "GET /internal/routing/customers/:id", home: "global", method: "GET", internal: true, build: (rng, fx) => ({ region: "FI-HEL", path: `/internal/routing/customers/${anyCustomer(rng, fx).id}` }) },

  // Regional gateway: open endpoints and the ops dashboard.
  { name: "GET /health (region)", home: "region", method: "GET", build: (rng) => ({ region: anyRegion(rng), path: "/health" }) },
  { name: "GET /metrics (region)", home: "region", method: "GET", build: (rng) => ({ region: anyRegion(rng), path: "/metrics" }) },
  { name: "GET /ops/dashboard (region)", home: "region", method: "GET", build: (rng) => ({ region: anyRegion(rng), path: "/ops/dashboard", query: rng.pick(["", "top=5", "format=json", "format=text&top=500"]) }) },

  // Customers, access keys.
  {
    name: "POST /api/customers/:id/register", home: "region", method: "POST",
    build: (rng, fx) => {
      const c = rng.chance(0.5) ? anyCustomer(rng, fx) : { id: `fz-routed-${rng.int(40)}`, region: anyRegion(rng) };
      return { region: c.region, path: `/api/customers/${c.id}/register`, body: { customer_name: "Fuzz Co", country: rng.pick(["FI", "DE", "US", "Finland"]), data_residency_requirement: rng.pick(["strict", "jurisdiction", "flexible"]), compliance_requirements: ["GDPR"], primary_contact_email: "a@fuzz.example", compliance_officer_email: "b@fuzz.example" } };
    },
  },
  { name: "GET /api/customers/:id/info", home: "region", method: "GET", build: (rng, fx) => { const c = anyCustomer(rng, fx); return { region: c.region, path: `/api/customers/${c.id}/info` }; } },
  {
    name: "POST /api/customers/:id/access-keys", home: "region", method: "POST",
    build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/customers/${t.id}/access-keys`, body: { description: "fuzz", permission: rng.pick(["read-only", "read-write"]), allowed_buckets: rng.chance(0.5) ? [t.buckets[0]] : null } }; },
  },
  { name: "GET /api/customers/:id/access-keys", home: "region", method: "GET", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/customers/${t.id}/access-keys`, query: rng.pick(["", "limit=2", "cursor=abc"]) }; } },
  {
    name: "PATCH /api/customers/:id/access-keys/:akid", home: "region", method: "PATCH",
    build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/customers/${t.id}/access-keys/${rng.pick(t.victimKeys)}`, body: { status: rng.pick(["disabled", "active"]) } }; },
  },
  { name: "DELETE /api/customers/:id/access-keys/:akid", home: "region", method: "DELETE", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/customers/${t.id}/access-keys/${rng.pick(t.victimKeys)}` }; } },
  { name: "POST /api/access-keys/rotate-master-key", home: "region", method: "POST", build: (rng) => ({ region: anyRegion(rng), path: "/api/access-keys/rotate-master-key" }) },

  // Audit.
  { name: "GET /api/audit/verify", home: "region", method: "GET", build: (rng) => ({ region: anyRegion(rng), path: "/api/audit/verify" }) },
  { name: "GET /api/audit/public-key", home: "region", method: "GET", build: (rng) => ({ region: anyRegion(rng), path: "/api/audit/public-key" }) },
  { name: "GET /api/audit/checkpoints", home: "region", method: "GET", build: (rng) => ({ region: anyRegion(rng), path: "/api/audit/checkpoints", query: rng.pick(["", "limit=1", "cursor=eyJiZWZvcmUiOjF9"]) }) },
  { name: "POST /api/audit/checkpoints", home: "region", method: "POST", build: (rng) => ({ region: anyRegion(rng), path: "/api/audit/checkpoints" }) },
  { name: "GET /api/audit/export", home: "region", method: "GET", build: (rng) => ({ region: anyRegion(rng), path: "/api/audit/export", query: rng.pick(["from_id=1&to_id=20", "from_id=5&to_id=5", `from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`]) }) },
  {
    name: "GET /api/audit/operations", home: "region", method: "GET",
    build: (rng, fx) => { const c = anyCustomer(rng, fx); return { region: c.region, path: "/api/audit/operations", query: rng.pick([`customer_id=${c.id}`, "result=denied&limit=5", "operation=PutObject&key_prefix=doc", "cross_border_only=true", `bucket=fza-one&customer_id=${c.id}`]) }; },
  },
  { name: "GET /api/audit/jurisdiction-compliance", home: "region", method: "GET", build: (rng, fx) => { const c = anyCustomer(rng, fx); return { region: c.region, path: "/api/audit/jurisdiction-compliance", query: rng.pick(["", `customer_id=${c.id}`, "limit=1"]) }; } },

  // Compliance.
  { name: "GET /api/compliance/summary", home: "region", method: "GET", build: (rng, fx) => { const c = anyCustomer(rng, fx); return { region: c.region, path: "/api/compliance/summary", headers: { "x-customer-id": c.id } }; } },
  { name: "GET /api/compliance/alerts", home: "region", method: "GET", build: (rng, fx) => { const c = anyCustomer(rng, fx); return { region: c.region, path: "/api/compliance/alerts", query: rng.pick(["", `customer_id=${c.id}`, "severity=critical", "limit=1&cursor=abc"]) }; } },
  { name: "POST /api/compliance/events/:id/resolve", home: "region", method: "POST", build: (rng, fx) => ({ region: anyRegion(rng), path: `/api/compliance/events/${someUuid(rng, fx.eventIds)}/resolve`, body: { resolution_note: "fuzz resolved" } }) },
  { name: "GET /api/compliance/validate/data-residency", home: "region", method: "GET", build: (rng, fx) => { const c = anyCustomer(rng, fx); return { region: c.region, path: "/api/compliance/validate/data-residency", query: rng.chance(0.7) ? `customer_id=${c.id}` : "" }; } },

  // Rules and the customer's own storage: only the sidelined customer, so no valid outcome stops a tenant's S3.
  { name: "GET /api/customers/:id/rules", home: "region", method: "GET", build: (rng, fx) => { const c = anyCustomer(rng, fx); return { region: c.region, path: `/api/customers/${c.id}/rules` }; } },
  {
    name: "PUT /api/customers/:id/rules", home: "region", method: "PUT",
    build: (_rng, fx) => ({ region: fx.sidelined.region, path: `/api/customers/${fx.sidelined.id}/rules`, body: { allowed_content_types: ["text/plain", "application/*"], max_object_size_bytes: 1_000_000, reject_duplicate_content: false, block_cross_border_access: true, anomaly_threshold_per_hour: 50 } }),
  },
  { name: "GET /api/customers/:id/storage", home: "region", method: "GET", build: (rng, fx) => { const c = anyCustomer(rng, fx); return { region: c.region, path: `/api/customers/${c.id}/storage` }; } },
  {
    // The endpoint is a closed loopback port and is never mutated away: without it the probe would go to AWS.
    name: "PUT /api/customers/:id/storage", home: "region", method: "PUT",
    build: (rng, fx) => ({ region: fx.sidelined.region, path: `/api/customers/${fx.sidelined.id}/storage`, keep: ["endpoint"], body: { provider_label: "fuzz s3", bucket: "fuzz-own-bucket", region: "eu-central-1", country: "DE", endpoint: "http://127.0.0.1:9", access_key_id: "AKIAFUZZ", secret_access_key: "fuzz-secret", activate: rng.chance(0.3), override_validation: rng.chance(0.3) } }),
  },
  { name: "DELETE /api/customers/:id/storage", home: "region", method: "DELETE", build: (_rng, fx) => ({ region: fx.sidelined.region, path: `/api/customers/${fx.sidelined.id}/storage` }) },
  { name: "POST /api/customers/:id/storage/validate", home: "region", method: "POST", build: (_rng, fx) => ({ region: fx.sidelined.region, path: `/api/customers/${fx.sidelined.id}/storage/validate` }) },
  { name: "POST /api/customers/:id/storage/rotate", home: "region", method: "POST", build: (rng, fx) => ({ region: fx.sidelined.region, path: `/api/customers/${fx.sidelined.id}/storage/rotate`, body: { access_key_id: "AKIAFUZZ2", secret_access_key: "fuzz-secret-2", override_validation: rng.chance(0.3) } }) },
  // Bucket policy, as the operator sees and removes it.
  { name: "GET /api/customers/:id/buckets/:bucket/policy", home: "region", method: "GET", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/customers/${t.id}/buckets/${rng.pick([...t.buckets, "fz-nope"])}/policy` }; } },
  { name: "DELETE /api/customers/:id/buckets/:bucket/policy", home: "region", method: "DELETE", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/customers/${t.id}/buckets/${rng.pick([...t.buckets, "fz-nope"])}/policy` }; } },

  // GDPR.
  { name: "POST /api/gdpr/requests", home: "region", method: "POST", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: "/api/gdpr/requests", body: { customer_id: t.id, data_subject_id: `subject@${t.id}.example`, request_type: rng.pick(["access", "erasure", "restriction", "portability", "objection", "rectification"]), notes: "fuzz" } }; } },
  { name: "GET /api/gdpr/requests", home: "region", method: "GET", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: "/api/gdpr/requests", query: rng.pick(["", `customer_id=${t.id}`, "status=pending&overdue=true", "limit=1&cursor=x"]) }; } },
  { name: "GET /api/gdpr/requests/:id", home: "region", method: "GET", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/gdpr/requests/${someUuid(rng, t.dsrIds)}` }; } },
  { name: "PATCH /api/gdpr/requests/:id", home: "region", method: "PATCH", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/gdpr/requests/${someUuid(rng, t.dsrIds)}`, body: { status: rng.pick(["in_progress", "rejected", "completed", "pending"]), notes: "fuzz note" } }; } },
  { name: "POST /api/gdpr/requests/:id/execute", home: "region", method: "POST", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/gdpr/requests/${someUuid(rng, t.dsrIds)}/execute` }; } },
  { name: "POST /api/gdpr/requests/:id/lift", home: "region", method: "POST", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/gdpr/requests/${someUuid(rng, t.dsrIds)}/lift`, body: { reason: "fuzz" } }; } },
  { name: "GET /api/gdpr/requests/:id/export", home: "region", method: "GET", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: `/api/gdpr/requests/${someUuid(rng, t.dsrIds)}/export` }; } },

  // Holds, integrity, presign, tokens.
  { name: "PUT /api/holds", home: "region", method: "PUT", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: "/api/holds", body: { ...obj(rng, t), reason: "fuzz litigation" } }; } },
  { name: "DELETE /api/holds", home: "region", method: "DELETE", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: "/api/holds", body: { ...obj(rng, t), reason: "fuzz settled" } }; } },
  { name: "GET /api/holds", home: "region", method: "GET", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: "/api/holds", query: rng.pick(["", `customer_id=${t.id}`, `customer_id=${t.id}&bucket=${t.buckets[0]}`, "limit=1&cursor=abc"]) }; } },
  { name: "POST /api/objects/verify", home: "region", method: "POST", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: "/api/objects/verify", body: rng.chance(0.7) ? obj(rng, t) : { customer_id: t.id } }; } },
  { name: "POST /api/presign", home: "region", method: "POST", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: "/api/presign", body: { ...obj(rng, t), method: rng.pick(["GET", "PUT"]), expires_in: rng.pick([1, 300, 3600]) } }; } },
  { name: "POST /api/tokens", home: "region", method: "POST", build: (rng, fx) => { const t = tenant(rng, fx); return { region: t.region, path: "/api/tokens", body: rng.chance(0.5) ? { name: "fuzz", role: "auditor" } : { name: "fuzz officer", role: "compliance_officer", customer_id: t.id } }; } },
  { name: "GET /api/tokens", home: "region", method: "GET", build: (rng) => ({ region: anyRegion(rng), path: "/api/tokens" }) },
  { name: "DELETE /api/tokens/:id", home: "region", method: "DELETE", build: (rng, fx) => { const r = anyRegion(rng); return { region: r, path: `/api/tokens/${someUuid(rng, fx.tokens[r].victimTokenIds)}` }; } },
];
