import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminAuth, bearer, mintToken, register, registrationBody, startTestRegion, type TestRegion } from "./harness.ts";

let de: TestRegion;
let sql: postgres.Sql;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  de = await startTestRegion("DE-FRA");
  sql = postgresClient(de.databaseUrl, { max: 1 });
  await register(de.url, "rhein-pharma", { country: "DE" });
  await register(de.url, "berlin-bank", { country: "DE" });
  tokens.officer = await mintToken(de.url, "dpo", "compliance_officer");
  tokens.auditor = await mintToken(de.url, "auditor", "auditor");
  tokens.scoped = await mintToken(de.url, "rhein auditor", "auditor", "rhein-pharma");
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
    const t = await mintToken(de.url, "temp", "auditor");
    const [{ token_id }] = (await sql`select token_id from api_tokens where name = 'temp'`) as unknown as [{ token_id: string }];
    expect((await fetch(`${de.url}/api/tokens/${token_id}`, { method: "DELETE", headers: adminAuth })).status).toBe(204);
    expect((await fetch(`${de.url}/api/customers/rhein-pharma/info`, { headers: bearer(t) })).status).toBe(401);
    expect((await fetch(`${de.url}/api/tokens/${token_id}`, { method: "DELETE", headers: adminAuth })).status).toBe(404);
  });
});
