import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminAuth, bearer, mintToken, register, registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let acme: ReturnType<typeof s3>;
const tokens: Record<string, string> = {};
const DAY = 86_400_000;

const bypass = { "x-amz-bypass-governance-retention": "true" };
const asAdmin = { ...bypass, ...bearer(ADMIN_TOKEN) };
const legalHoldXml = (status: string) => `<LegalHold xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${status}</Status></LegalHold>`;
const retentionXml = (mode: string, until: Date | string) =>
  `<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>${mode}</Mode><RetainUntilDate>${typeof until === "string" ? until : until.toISOString()}</RetainUntilDate></Retention>`;
const inDays = (n: number) => new Date(Date.now() + n * DAY);

async function errorCode(res: Response): Promise<string | undefined> {
  return (await res.text()).match(/<Code>([^<]+)<\/Code>/)?.[1];
}

async function putObject(key: string, body: string) {
  const res = await acme(`/docs/${key}`, { method: "PUT", body });
  expect(res.status).toBe(200);
}
/** The latest version's id: object lock applies per version, so a delete that destroys names it. */
async function vid(key: string, bucket = "docs"): Promise<string> {
  return (await acme(`/${bucket}/${key}`, { method: "HEAD" })).headers.get("x-amz-version-id")!;
}
/** Deletes the given (default: latest) version for good, as only a versionId delete does in a lock bucket. */
async function destroy(key: string, headers: Record<string, string> = {}, bucket = "docs", version?: string) {
  return acme(`/${bucket}/${key}?versionId=${version ?? (await vid(key, bucket))}`, { method: "DELETE", headers });
}

function holdsApi(method: string, token: string, body?: unknown, query = "") {
  return fetch(`${fi.url}/api/holds${query}`, {
    method,
    headers: { "content-type": "application/json", ...bearer(token) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  acme = await registerWithBuckets(fi.url, "acme-corp", []);
  // S3 object lock exists only in buckets created with it (which are versioned for good).
  for (const bucket of ["docs", "evidence"]) expect((await acme(`/${bucket}`, { method: "PUT", headers: { "x-amz-bucket-object-lock-enabled": "true" } })).status).toBe(200);
  expect((await register(fi.url, "nordic-bank", { customer_name: "Nordic Bank" })).status).toBe(201);
  tokens.officer = await mintToken(fi.url, "dpo", "compliance_officer");
  tokens.auditor = await mintToken(fi.url, "auditor", "auditor");
  tokens.acmeAuditor = await mintToken(fi.url, "acme auditor", "auditor", "acme-corp");
  tokens.bankAdmin = await mintToken(fi.url, "bank admin", "admin", "nordic-bank");
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

describe("S3 legal hold", () => {
  it("refuses delete and overwrite while ON, even to an admin with the bypass header, and allows them after OFF", async () => {
    await putObject("contract.pdf", "v1");
    const none = await acme("/docs/contract.pdf?legal-hold");
    expect(none.status).toBe(404);
    expect(await errorCode(none)).toBe("NoSuchObjectLockConfiguration");

    expect((await acme("/docs/contract.pdf?legal-hold", { method: "PUT", body: legalHoldXml("ON") })).status).toBe(200);
    const on = await acme("/docs/contract.pdf?legal-hold");
    expect(on.status).toBe(200);
    expect(await on.text()).toMatch(/<LegalHold[^>]*><Status>ON<\/Status><\/LegalHold>/);

    const v1 = await vid("contract.pdf");
    const del = await destroy("contract.pdf");
    expect(del.status).toBe(403);
    expect(await errorCode(del)).toBe("AccessDenied");
    expect((await destroy("contract.pdf", asAdmin)).status).toBe(403);
    // A new version or a delete marker destroys nothing: allowed, and the held version stays.
    expect((await acme("/docs/contract.pdf", { method: "PUT", body: "v2" })).status).toBe(200);
    expect((await acme("/docs/contract.pdf", { method: "DELETE" })).status).toBe(204);
    expect(await (await acme(`/docs/contract.pdf?versionId=${v1}`)).text()).toBe("v1");
    expect((await destroy("contract.pdf", {}, "docs", v1)).status).toBe(403);
    const [denied] = await sql`select result, status_code, error_code from operations_log
      where customer_id = 'acme-corp' and operation_type = 'DeleteObject' and object_key = 'contract.pdf' order by created_at limit 1`;
    expect(denied).toMatchObject({ result: "denied", status_code: 403, error_code: "AccessDenied" });

    const summary = await fetch(`${fi.url}/api/compliance/summary`, { headers: { "x-customer-id": "acme-corp", ...adminAuth } });
    expect(((await summary.json()) as { legal_hold_objects: number }).legal_hold_objects).toBe(1);

    expect((await acme(`/docs/contract.pdf?legal-hold&versionId=${v1}`, { method: "PUT", body: legalHoldXml("OFF") })).status).toBe(200);
    expect(await (await acme(`/docs/contract.pdf?legal-hold&versionId=${v1}`)).text()).toContain("<Status>OFF</Status>");
    expect((await destroy("contract.pdf", {}, "docs", v1)).status).toBe(204);
    expect((await acme(`/docs/contract.pdf?versionId=${v1}`)).status).toBe(404);
    const [ops] = await sql`select count(*)::int as n from operations_log where customer_id = 'acme-corp' and operation_type = 'PutObjectLegalHold'`;
    expect(ops!.n).toBe(2);
  });

  it("answers 400 MalformedXML for bad documents and 404 for unknown objects", async () => {
    await putObject("xml.txt", "x");
    for (const body of ["<LegalHold><Status>ON</Status>", "<LegalHold><Status>MAYBE</Status></LegalHold>", "", "not xml", "<Other/>"]) {
      const res = await acme("/docs/xml.txt?legal-hold", { method: "PUT", body });
      expect(res.status, body).toBe(400);
      expect(await errorCode(res)).toBe("MalformedXML");
    }
    for (const body of [retentionXml("FOREVER", inDays(1)), retentionXml("GOVERNANCE", "next tuesday"), "<Retention><Mode>GOVERNANCE</Mode></Retention>"]) {
      const res = await acme("/docs/xml.txt?retention", { method: "PUT", body });
      expect(res.status, body).toBe(400);
      expect(await errorCode(res)).toBe("MalformedXML");
    }
    const missing = await acme("/docs/nope.txt?legal-hold", { method: "PUT", body: legalHoldXml("ON") });
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe("NoSuchKey");
    expect((await acme("/docs?legal-hold")).status).toBe(400);
    expect((await acme("/docs/xml.txt?retention", { method: "DELETE" })).status).toBe(405);
    expect((await acme("/docs/xml.txt?retention")).status).toBe(404);
  });
});

describe("S3 retention", () => {
  it("GOVERNANCE: refuses delete and shortening unless an admin sends the bypass header", async () => {
    await putObject("gov.txt", "g1");
    const until = inDays(2);
    expect((await acme("/docs/gov.txt?retention", { method: "PUT", body: retentionXml("GOVERNANCE", until) })).status).toBe(200);
    const got = await (await acme("/docs/gov.txt?retention")).text();
    expect(got).toContain("<Mode>GOVERNANCE</Mode>");
    expect(got).toContain(`<RetainUntilDate>${until.toISOString()}</RetainUntilDate>`);

    expect((await destroy("gov.txt")).status).toBe(403);
    expect((await destroy("gov.txt", bypass)).status).toBe(403);
    expect((await destroy("gov.txt", { ...bypass, ...bearer(tokens.officer!) })).status).toBe(403);
    expect((await destroy("gov.txt", { ...bypass, ...bearer(tokens.bankAdmin!) })).status).toBe(403);
    expect((await destroy("gov.txt", bearer(ADMIN_TOKEN))).status).toBe(403);

    const shorter = retentionXml("GOVERNANCE", inDays(1));
    expect((await acme("/docs/gov.txt?retention", { method: "PUT", body: shorter })).status).toBe(403);
    expect((await acme("/docs/gov.txt?retention", { method: "PUT", body: shorter, headers: bypass })).status).toBe(403);
    expect((await acme("/docs/gov.txt?retention", { method: "PUT", body: "<Retention/>" })).status).toBe(403);
    expect((await acme("/docs/gov.txt?retention", { method: "PUT", body: retentionXml("GOVERNANCE", inDays(3)) })).status).toBe(200);
    expect((await acme("/docs/gov.txt?retention", { method: "PUT", body: shorter, headers: asAdmin })).status).toBe(200);
    expect(await (await acme("/docs/gov.txt?retention")).text()).toContain(`<RetainUntilDate>${new Date(shorter.match(/<RetainUntilDate>(.*)<\/RetainUntilDate>/)![1]!).toISOString()}`);

    expect((await destroy("gov.txt")).status).toBe(403);
    expect((await destroy("gov.txt", asAdmin)).status).toBe(204);
    const [granted] = await sql`select principal, compliance_info from operations_log
      where operation_type = 'DeleteObject' and object_key = 'gov.txt' and result = 'success'`;
    expect(granted!.principal).toBe("token:bootstrap-admin(admin)");
    expect(granted!.compliance_info).toMatchObject({ governance_bypass: "granted", existed: true });
    expect(granted!.compliance_info.version_id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // Without an admin token (none, a compliance officer's, another customer's admin) the header was ignored.
    const [ignored] = await sql`select count(*)::int as n from operations_log where operation_type = 'DeleteObject'
      and object_key = 'gov.txt' and result = 'denied' and compliance_info->>'governance_bypass' = 'ignored_not_admin'`;
    expect(ignored!.n).toBe(3);
  });

  it("GOVERNANCE can be removed by an admin with the bypass header, or expire", async () => {
    await putObject("gov2.txt", "x");
    expect((await acme("/docs/gov2.txt?retention", { method: "PUT", body: retentionXml("GOVERNANCE", inDays(1)) })).status).toBe(200);
    expect((await acme("/docs/gov2.txt?retention", { method: "PUT", body: "<Retention/>", headers: asAdmin })).status).toBe(200);
    expect((await acme("/docs/gov2.txt?retention")).status).toBe(404);
    expect((await destroy("gov2.txt")).status).toBe(204);

    await putObject("expired.txt", "x");
    expect((await acme("/docs/expired.txt?retention", { method: "PUT", body: retentionXml("COMPLIANCE", inDays(1)) })).status).toBe(200);
    await sql`update object_metadata set retention_until = now() - interval '1 minute' where object_key = 'expired.txt'`;
    expect((await destroy("expired.txt")).status).toBe(204);
  });

  it("COMPLIANCE: cannot be shortened, removed or relaxed, even by an admin with the bypass header", async () => {
    await putObject("comp.txt", "c1");
    const until = inDays(2);
    expect((await acme("/docs/comp.txt?retention", { method: "PUT", body: retentionXml("COMPLIANCE", until) })).status).toBe(200);
    for (const body of [retentionXml("COMPLIANCE", inDays(1)), "<Retention/>", retentionXml("GOVERNANCE", until), retentionXml("GOVERNANCE", inDays(5))]) {
      const res = await acme("/docs/comp.txt?retention", { method: "PUT", body, headers: asAdmin });
      expect(res.status, body).toBe(403);
      expect(await errorCode(res)).toBe("AccessDenied");
    }
    expect((await destroy("comp.txt", asAdmin)).status).toBe(403);
    expect((await acme("/docs/comp.txt?retention", { method: "PUT", body: retentionXml("COMPLIANCE", inDays(4)) })).status).toBe(200);
    expect(await (await acme("/docs/comp.txt?retention")).text()).toContain("<Mode>COMPLIANCE</Mode>");

    await putObject("upgrade.txt", "u");
    expect((await acme("/docs/upgrade.txt?retention", { method: "PUT", body: retentionXml("GOVERNANCE", until) })).status).toBe(200);
    // Turning GOVERNANCE into COMPLIANCE changes the retention: it needs the bypass, as S3 requires.
    expect((await acme("/docs/upgrade.txt?retention", { method: "PUT", body: retentionXml("COMPLIANCE", until) })).status).toBe(403);
    expect((await acme("/docs/upgrade.txt?retention", { method: "PUT", body: retentionXml("COMPLIANCE", until), headers: asAdmin })).status).toBe(200);
    expect((await destroy("upgrade.txt", asAdmin)).status).toBe(403);
  });

  it("refuses a RetainUntilDate in the past", async () => {
    await putObject("past.txt", "p");
    const res = await acme("/docs/past.txt?retention", { method: "PUT", body: retentionXml("GOVERNANCE", new Date(Date.now() - DAY)) });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("InvalidArgument");
    expect((await acme("/docs/past.txt?retention")).status).toBe(404);
  });
});

describe("compliance API legal holds", () => {
  const selector = { customer_id: "acme-corp", bucket: "evidence", key: "mail.eml" };

  it("places a hold with a reason that the data owner cannot lift over S3, lists it, and lifts it", async () => {
    expect((await acme("/evidence/mail.eml", { method: "PUT", body: "From: x" })).status).toBe(200);
    expect((await acme("/evidence/other.eml", { method: "PUT", body: "From: y" })).status).toBe(200);

    expect((await holdsApi("PUT", tokens.officer!, { ...selector, reason: "" })).status).toBe(400);
    expect((await holdsApi("PUT", tokens.officer!, { ...selector })).status).toBe(400);
    expect((await holdsApi("PUT", tokens.officer!, { ...selector, reason: "x".repeat(501) })).status).toBe(400);
    expect((await holdsApi("PUT", tokens.officer!, { ...selector, key: "absent.eml", reason: "r" })).status).toBe(404);
    expect((await holdsApi("PUT", tokens.auditor!, { ...selector, reason: "litigation" })).status).toBe(403);
    expect((await holdsApi("PUT", tokens.acmeAuditor!, { ...selector, reason: "litigation" })).status).toBe(403);

    const placed = await holdsApi("PUT", tokens.officer!, { ...selector, reason: "Case 2024-17: preserve all mail" });
    expect(placed.status).toBe(200);
    const hold = (await placed.json()) as Record<string, unknown>;
    expect(hold).toMatchObject({ customer_id: "acme-corp", bucket: "evidence", key: "mail.eml", legal_hold: true, reason: "Case 2024-17: preserve all mail" });
    expect(hold.set_by).toMatch(/^token:.*\(compliance_officer\)$/);

    expect(await (await acme("/evidence/mail.eml?legal-hold")).text()).toContain("<Status>ON</Status>");
    expect((await destroy("mail.eml", {}, "evidence")).status).toBe(403);
    // Re-affirming ON over S3 must not launder the hold into one the owner may lift.
    expect((await acme("/evidence/mail.eml?legal-hold", { method: "PUT", body: legalHoldXml("ON") })).status).toBe(200);
    const lift = await acme("/evidence/mail.eml?legal-hold", { method: "PUT", body: legalHoldXml("OFF") });
    expect(lift.status).toBe(403);
    expect(await errorCode(lift)).toBe("AccessDenied");

    const list = await holdsApi("GET", tokens.auditor!, undefined, "?customer_id=acme-corp&bucket=evidence");
    expect(list.status).toBe(200);
    const page = (await list.json()) as { items: Record<string, unknown>[]; next_cursor: string | null };
    expect(page.items.map((i) => i.key)).toEqual(["mail.eml"]);
    expect(page.items[0]).toMatchObject({ reason: "Case 2024-17: preserve all mail", set_by: hold.set_by, retention_mode: null });
    expect(page.next_cursor).toBeNull();

    expect((await holdsApi("DELETE", tokens.officer!, { ...selector })).status).toBe(400);
    expect((await holdsApi("DELETE", tokens.auditor!, { ...selector, reason: "case closed" })).status).toBe(403);
    const lifted = await holdsApi("DELETE", tokens.officer!, { ...selector, reason: "Case 2024-17 closed" });
    expect(lifted.status).toBe(200);
    expect(await lifted.json()).toMatchObject({ legal_hold: false, reason: null });
    expect((await holdsApi("DELETE", tokens.officer!, { ...selector, reason: "again" })).status).toBe(409);
    const [row] = await sql`select compliance_info from operations_log where operation_type = 'LiftLegalHold' and result = 'success'`;
    expect(row!.compliance_info).toMatchObject({ reason: "Case 2024-17 closed", hold_reason: "Case 2024-17: preserve all mail" });
    expect((await destroy("mail.eml", {}, "evidence")).status).toBe(204);
  });

  it("lists holds and unexpired retentions with pagination, scoped to the token's customer", async () => {
    await putObject("list-a.txt", "a");
    await putObject("list-b.txt", "b");
    await putObject("list-old.txt", "o");
    expect((await holdsApi("PUT", tokens.officer!, { customer_id: "acme-corp", bucket: "docs", key: "list-a.txt", reason: "audit 7" })).status).toBe(200);
    expect((await acme("/docs/list-b.txt?retention", { method: "PUT", body: retentionXml("GOVERNANCE", inDays(9)) })).status).toBe(200);
    expect((await acme("/docs/list-old.txt?retention", { method: "PUT", body: retentionXml("GOVERNANCE", inDays(1)) })).status).toBe(200);
    await sql`update object_metadata set retention_until = now() - interval '1 second' where object_key = 'list-old.txt'`;

    const keys: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await holdsApi("GET", tokens.acmeAuditor!, undefined, `?bucket=docs&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: { key: string; customer_id: string; retention_mode: string | null }[]; next_cursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(1);
      for (const i of page.items) {
        expect(i.customer_id).toBe("acme-corp");
        keys.push(i.key);
      }
      cursor = page.next_cursor;
    } while (cursor);
    expect(keys).toContain("list-a.txt");
    expect(keys).toContain("list-b.txt");
    expect(keys).toContain("comp.txt");
    expect(keys).not.toContain("list-old.txt");
    expect(keys).toEqual([...keys].sort());

    expect((await holdsApi("GET", tokens.acmeAuditor!, undefined, "?customer_id=nordic-bank")).status).toBe(403);
    expect((await holdsApi("GET", tokens.auditor!, undefined, "?cursor=not-a-cursor")).status).toBe(400);
    expect((await holdsApi("GET", tokens.auditor!, undefined, "?limit=501")).status).toBe(400);
    expect((await holdsApi("GET", tokens.auditor!, undefined, "?bucket=docs")).status).toBe(400);
    expect((await fetch(`${fi.url}/api/holds`)).status).toBe(401);
    const [denied] = await sql`select result, status_code from operations_log where operation_type = 'ListLegalHolds' and status_code = 403`;
    expect(denied).toMatchObject({ result: "denied" });
  });
});
