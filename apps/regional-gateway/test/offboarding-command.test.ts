import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "../../global-router/test/helpers.ts";
import { adminAuth, registerWithBuckets } from "./harness.ts";
import { auditOf, command, processedRow, put, startCommandsFixture, until, type CommandsFixture } from "./commands-helpers.ts";

/**
 * The customer.offboard command runs the same offboarding job as the API, by the command's key;
 * a duplicate does nothing more; a run stopped by an unreachable router is resumed by the
 * consumer's redelivery. (This region has no router by default: the unroute step says so.)
 */
let f: CommandsFixture;
const hold = (customer: string, bucket: string, key: string) =>
  fetch(`${f.region.url}/api/holds`, { method: "PUT", headers: { ...adminAuth, "content-type": "application/json" }, body: JSON.stringify({ customer_id: customer, bucket, key, reason: "audit" }) });
const job = async (id: string) => (await f.sql`select status, step, requested_by, result, last_error from customer_offboarding where customer_id = ${id}`)[0];

beforeAll(async () => {
  // Enough deliveries and a short delay so a failing run is retried while the test fixes its cause.
  f = await startCommandsFixture("offboard", { COMMANDS_MAX_DELIVER: "100", COMMANDS_RETRY_DELAY_MS: "100" });
});
afterAll(async () => {
  await f?.destroy();
});

describe("customer.offboard command", () => {
  it("offboards: held version kept, no shred, audited by the command's key; a duplicate does nothing more", async () => {
    const client = await registerWithBuckets(f.region.url, "cmd-co", ["vault"]);
    await put(client, "/vault/held.txt", "keep me");
    await put(client, "/vault/free.txt", "erase me");
    expect((await hold("cmd-co", "vault", "held.txt")).status).toBe(200);
    const cmd = command("customer.offboard", "cmd-co", { reason: "contract ended", export: true });
    await f.acked(await f.publish(cmd));
    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ command: "customer.offboard", outcome: "done" });
    const row = await job("cmd-co");
    expect(row).toMatchObject({ status: "completed", step: "done", requested_by: "command:issuer-1" });
    expect(row!.result.erase).toMatchObject({ erased: 1, kept: [{ key: "held.txt" }] });
    expect(row!.result.shred).toMatchObject({ protected_object_versions: 1 });
    expect(row!.result.unroute.skipped).toContain("no global router");
    expect(row!.result.export.object_versions_total).toBe(2);
    expect((await f.sql`select status from customers where customer_id = 'cmd-co'`)[0]!.status).toBe("offboarded");
    const audit = await auditOf(f.sql, `command:${cmd.id}`);
    expect(audit).toMatchObject([{ operation_type: "Command:customer.offboard", result: "success", customer_id: "cmd-co", principal: "command:issuer-1", compliance_info: { status: "completed", resumed: false } }]);

    // The same command again (a new message id, the same command id): acknowledged, nothing run.
    await f.acked(await f.publish(cmd));
    expect(await auditOf(f.sql, `command:${cmd.id}`)).toHaveLength(1);
  });

  it("refuses a customer not registered here", async () => {
    const cmd = command("customer.offboard", "nobody-co", { reason: "x" });
    await f.acked(await f.publish(cmd));
    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "refused", detail: { code: "NoSuchCustomer" } });
    expect(await auditOf(f.sql, `command:${cmd.id}`)).toMatchObject([{ result: "denied", error_code: "NoSuchCustomer" }]);
  });

  it("a run stopped by an unreachable router is resumed by the redelivery", async () => {
    const client = await registerWithBuckets(f.region.url, "later-co", ["box"]);
    await put(client, "/box/a.txt", "a");
    f.region.deps.config.globalRouterUrl = `http://127.0.0.1:${await closedPort()}`;
    const cmd = command("customer.offboard", "later-co", { reason: "closing" });
    const seq = await f.publish(cmd);
    try {
      await until(async () => (await job("later-co"))?.status === "failed", "the job failed at the unroute step");
      expect(await job("later-co")).toMatchObject({ step: "unroute" });
    } finally {
      f.region.deps.config.globalRouterUrl = undefined;
    }
    await f.acked(seq);
    await until(async () => (await job("later-co"))?.status === "completed", "the job completed on a redelivery");
    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "done" });
    const audit = await auditOf(f.sql, `command:${cmd.id}`);
    expect(audit.at(-1)).toMatchObject({ result: "success", compliance_info: { status: "completed", redelivered: true, resumed: true } });
  });
});
