import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth } from "../apps/regional-gateway/test/harness.ts";
import { CLIENT_BINARIES, clientAvailable, runClient } from "./support/s3-clients.ts";
import { onboard, startStack, type TestStack } from "./support/stack.ts";

// A bucket policy set and enforced through the global endpoint with boto3. aws:SourceIp is the
// address the router saw (the last X-Forwarded-For entry it signs), never what the client claims.
let stack: TestStack;
let key: { access_key_id: string; secret_access_key: string };
const CLIENT = join(resolve(import.meta.dirname), "clients", "boto3_policy.py");

beforeAll(async () => {
  stack = await startStack();
  await onboard(stack, "policy-oy", "FI-HEL", { customer_name: "Policy Oy", country: "FI", data_residency_requirement: "strict" });
  const res = await fetch(`${stack.regions["FI-HEL"].url}/api/customers/policy-oy/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ permission: "read-write" }) });
  expect(res.status).toBe(201);
  key = (await res.json()) as typeof key;
  const s3 = (path: string, init: RequestInit = {}) => fetch(`${stack.global.url}${path}`, { ...init, headers: { "x-customer-id": "policy-oy" } });
  expect((await s3("/vault", { method: "PUT" })).status).toBe(200);
  expect((await s3("/vault/doc.txt", { method: "PUT", body: "hello" })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

interface Outcome { ok: boolean; value?: unknown; code?: string; status?: number }
async function run(policy: object, spoof?: string): Promise<Record<string, Outcome>> {
  const args = [CLIENT, stack.global.url, key.access_key_id, key.secret_access_key, "vault", JSON.stringify(policy), ...(spoof ? [spoof] : [])];
  return JSON.parse(await runClient(CLIENT_BINARIES.boto3, args)) as Record<string, Outcome>;
}

const officeOnly = (cidr: string) => ({
  Version: "2012-10-17",
  Statement: [{ Sid: "OfficeOnly", Effect: "Deny", Principal: { AWS: "arn:aws:iam::policy-oy:root" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::vault/*", Condition: { NotIpAddress: { "aws:SourceIp": cidr } } }],
});

describe.skipIf(!clientAvailable("boto3"))("bucket policy through the global router (boto3)", () => {
  it("a Deny outside the office network holds against a spoofed X-Forwarded-For, and lifts for the real peer", async () => {
    const denied = await run(officeOnly("10.9.0.0/16"), "10.9.1.1");
    expect(denied.put_policy).toEqual({ ok: true, value: 204 });
    expect(denied.get_policy).toEqual({ ok: true, value: officeOnly("10.9.0.0/16") });
    expect(denied.status).toEqual({ ok: true, value: false });
    expect(denied.get_object).toMatchObject({ ok: false, code: "AccessDenied", status: 403 });
    expect(denied.acl).toEqual({ ok: true, value: ["FULL_CONTROL"] });
    expect(denied.public_acl).toMatchObject({ ok: false, code: "AccessDenied" });

    const allowed = await run(officeOnly("127.0.0.0/8"));
    expect(allowed.get_object).toEqual({ ok: true, value: "hello" });
  });

  it("a principal of another customer is refused at PUT through the router", async () => {
    const foreign = { Statement: [{ Effect: "Deny", Principal: { AWS: "arn:aws:iam::someone-else:root" }, Action: "s3:*", Resource: "arn:aws:s3:::vault/*" }] };
    const out = await run(foreign);
    expect(out.put_policy).toMatchObject({ ok: false, code: "MalformedPolicy", status: 400 });
  });
});
