import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminAuth, register, registrationBody, startTestRegion, type TestRegion } from "./harness.ts";

let de: TestRegion;
let sql: postgres.Sql;
const tokens: Record<string, string> = {};

async function mint(name: string, role: string, customerId?: string): Promise<string> {
  const res = await fetch(`${de.url}/api/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify({ name, role, ...(customerId ? { customer_id: customerId } : {}) }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  de = await startTestRegion("DE-FRA");
  sql = postgres(de.databaseUrl, { max: 1, onnotice: () => {} });
  await register(de.url, "rhein-pharma", { country: "DE" });
  await register(de.url, "berlin-bank", { country: "DE" });
  tokens.officer = await mint("dpo", "compliance_officer");
  tokens.auditor = await mint("auditor", "auditor");
  tokens.scoped = await mint("rhein auditor", "auditor", "rhein-pharma");
});
afterAll(async () => {
  await sql?.end();
  await de?.destroy();
});

describe("management tokens and roles", () => {
  it("requires a bearer token and refuses unknown ones", async () => {
    expect((await fetch(`${de.url}/api/customers/rhein-pharma/info`)).status).toBe(401);
    const res = await fetch(`${de.url}/api/customers/rhein-pharma/info`, { headers: bearer("s3gw_not-a-real-token") });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
  });

  it("lets only admins register customers and manage tokens", async () => {
    const body = JSON.stringify(registrationBody({ country: "DE" }));
    for (const t of [tokens.officer!, tokens.auditor!]) {
      const res = await fetch(`${de.url}/api/customers/new-co/register`, { method: "POST", headers: { "content-type": "application/json", ...bearer(t) }, body });
      expect(res.status).toBe(403);
      expect((await fetch(`${de.url}/api/tokens`, { headers: bearer(t) })).status).toBe(403);
    }
    const list = (await (await fetch(`${de.url}/api/tokens`, { headers: adminAuth })).json()) as { tokens: Record<string, unknown>[] };
    expect(list.tokens.map((t) => t.role).sort()).toEqual(["auditor", "auditor", "compliance_officer"]);
    expect(JSON.stringify(list)).not.toContain("s3gw_");
  });

  it("keeps a customer-scoped token to its customer", async () => {
    const own = await fetch(`${de.url}/api/customers/rhein-pharma/info`, { headers: bearer(tokens.scoped!) });
    expect(own.status).toBe(200);
    expect((await fetch(`${de.url}/api/customers/berlin-bank/info`, { headers: bearer(tokens.scoped!) })).status).toBe(403);
    const summary = await fetch(`${de.url}/api/compliance/summary`, { headers: { ...bearer(tokens.scoped!), "x-customer-id": "berlin-bank" } });
    expect(summary.status).toBe(403);
    const implicit = await fetch(`${de.url}/api/compliance/summary`, { headers: bearer(tokens.scoped!) });
    expect(((await implicit.json()) as { customer_id: string }).customer_id).toBe("rhein-pharma");
  });

  it("stores only hashes, logs denials, and never records a token", async () => {
    const revealed = Object.values(tokens);
    const dump = JSON.stringify(await sql`select * from api_tokens`) + JSON.stringify(await sql`select * from operations_log`);
    for (const t of [...revealed, ADMIN_TOKEN]) expect(dump).not.toContain(t);
    const denied = await sql`select operation_type, result, status_code, principal from operations_log where result = 'denied' and operation_type = 'RegisterCustomer'`;
    expect(denied.length).toBe(2);
    expect(denied.every((d) => d.status_code === 403 && /^token:.*\((compliance_officer|auditor)\)$/.test(d.principal))).toBe(true);
  });

  it("revokes tokens", async () => {
    const t = await mint("temp", "auditor");
    const [{ token_id }] = (await sql`select token_id from api_tokens where name = 'temp'`) as unknown as [{ token_id: string }];
    expect((await fetch(`${de.url}/api/tokens/${token_id}`, { method: "DELETE", headers: adminAuth })).status).toBe(204);
    expect((await fetch(`${de.url}/api/customers/rhein-pharma/info`, { headers: bearer(t) })).status).toBe(401);
    expect((await fetch(`${de.url}/api/tokens/${token_id}`, { method: "DELETE", headers: adminAuth })).status).toBe(404);
  });
});
