import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort, spawnNode, waitForHealth } from "./support/processes.ts";
import { WebhookReceiver } from "./support/webhook-receiver.ts";
import { notificationXml } from "../apps/regional-gateway/test/notification-helpers.ts";

let dataDir: string;
let ports: Record<string, string>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "s3gw-embedded-"));
  ports = {
    GLOBAL_PORT: String(await freePort()),
    FI_HEL_PORT: String(await freePort()),
    DE_FRA_PORT: String(await freePort()),
    US_EAST_PORT: String(await freePort()),
  };
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** `npm start`'s launcher: four processes on embedded PGlite and fs storage under DATA_DIR. */
async function startEmbedded() {
  const stack = spawnNode("scripts/start-stack.ts", { DATA_DIR: dataDir, LOG_LEVEL: "warn", ...ports });
  const exited = once(stack.child, "exit");
  // Four embedded databases run every migration on first start; a loaded two-core machine needs the margin.
  await waitForHealth(`http://127.0.0.1:${ports.GLOBAL_PORT}`, 150_000);
  for (const p of [ports.FI_HEL_PORT, ports.DE_FRA_PORT, ports.US_EAST_PORT]) await waitForHealth(`http://127.0.0.1:${p}`, 150_000);
  return {
    stop: async () => {
      stack.child.kill("SIGINT");
      const [code] = await exited;
      return { code: code as number | null, output: stack.output() };
    },
  };
}

it("keeps data across a clean stop and restart of the embedded stack", async () => {
  const global = `http://127.0.0.1:${ports.GLOBAL_PORT}`;
  const fi = `http://127.0.0.1:${ports.FI_HEL_PORT}`;
  const first = await startEmbedded();
  const routed = await fetch(`${global}/routing/customers/acme-corp?region_id=FI-HEL`, { method: "POST", headers: { authorization: `Bearer ${(await readFile(join(dataDir, "admin-token"), "utf8")).trim()}` } });
  expect(routed.status).toBe(201);
  // `npm start` generates the embedded stack's admin token on first start, under DATA_DIR.
  const admin = { authorization: `Bearer ${(await readFile(join(dataDir, "admin-token"), "utf8")).trim()}` };
  const reg = await fetch(`${fi}/api/customers/acme-corp/register`, {
    method: "POST",
    headers: { "content-type": "application/json", ...admin },
    body: JSON.stringify({ customer_name: "Acme", country: "Finland", data_residency_requirement: "strict", primary_contact_email: "a@acme.fi", compliance_officer_email: "gdpr@acme.fi" }),
  });
  expect(reg.status).toBe(201);
  const h = { "x-customer-id": "acme-corp" };
  expect((await fetch(`${global}/s3/documents`, { method: "PUT", headers: h })).status).toBe(200);
  // The region's event dispatcher runs on the embedded database too: a PUT's event reaches a webhook.
  const receiver = new WebhookReceiver();
  await receiver.start();
  try {
    const target = await fetch(`${fi}/api/notification-targets`, {
      method: "POST",
      headers: { "content-type": "application/json", ...admin },
      body: JSON.stringify({ name: "embedded-hook", kind: "webhook", country: "FI", webhook: { url: receiver.url } }),
    });
    expect(target.status).toBe(201);
    const { arn, secret } = (await target.json()) as { arn: string; secret: string };
    receiver.secret = secret;
    expect((await fetch(`${global}/s3/documents?notification`, { method: "PUT", headers: h, body: notificationXml([{ arn, events: ["s3:ObjectCreated:*"] }]) })).status).toBe(200);
    expect((await fetch(`${global}/s3/documents/contract.pdf`, { method: "PUT", headers: h, body: "persisted bytes" })).status).toBe(200);
    const [event] = await receiver.waitFor(1, 30_000);
    expect(event).toMatchObject({ name: "s3:ObjectCreated:Put", signed: true });
  } finally {
    await receiver.close();
  }
  const stopped = await first.stop();
  expect(stopped.code, stopped.output).toBe(0);

  const second = await startEmbedded();
  try {
    const res = await fetch(`${global}/s3/documents/contract.pdf`, { headers: h });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("persisted bytes");
    const summary = (await (await fetch(`${fi}/api/compliance/summary`, { headers: { ...h, ...admin } })).json()) as Record<string, unknown>;
    expect(summary).toMatchObject({ total_objects: 1, compliant_objects: 1 });
  } finally {
    expect((await second.stop()).code).toBe(0);
  }
}, 400_000);
