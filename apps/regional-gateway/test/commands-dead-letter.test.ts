import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets } from "./harness.ts";
import { auditOf, command, processedRow, put, startCommandsFixture, type CommandsFixture } from "./commands-helpers.ts";

let f: CommandsFixture;

beforeAll(async () => {
  f = await startCommandsFixture("deadletter", { COMMANDS_MAX_DELIVER: "3" });
});
afterAll(async () => {
  await f?.destroy();
});

describe("a command that keeps failing", () => {
  it("is retried, then published to the dead-letter subject with its error at the Nth delivery, recorded and acknowledged", async () => {
    // A customer this region does not have: every attempt fails.
    const cmd = command("entity.deleted", "ghost-corp", { entity_id: "E-404", action: "archive" });
    const raw = JSON.stringify(cmd);
    const seq = await f.publish(cmd);
    await f.acked(seq);

    const dead = await f.jsm.streams.getMessage(f.config.stream, { last_by_subj: f.config.deadLetterSubject });
    expect(dead).not.toBeNull();
    expect(new TextDecoder().decode(dead!.data)).toBe(raw);
    expect(dead!.header.get("s3gw-dead-letter-error")).toContain("ghost-corp is not registered");
    expect(dead!.header.get("s3gw-dead-letter-deliveries")).toBe("3");
    expect(dead!.header.get("s3gw-dead-letter-stream-seq")).toBe(String(seq));
    expect(dead!.header.get("s3gw-dead-letter-subject")).toBe(f.config.subject);
    // The original signature travels with it, so the dead letter can be checked and replayed as it was.
    expect(dead!.header.get("s3gw-signature")).toMatch(/^v1,key=issuer-1,sig=[0-9a-f]{64}$/);

    const info = await f.jsm.consumers.info(f.config.stream, f.config.durable);
    expect(info.num_ack_pending).toBe(0);
    expect(info.delivered.consumer_seq).toBe(3);

    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ command: "entity.deleted", outcome: "dead_lettered", detail: { deliveries: 3, dead_letter_subject: f.config.deadLetterSubject } });
    expect(await auditOf(f.sql, `command:${cmd.id}`)).toMatchObject([{ operation_type: "Command:entity.deleted", result: "error", error_code: "CommandDeadLettered", customer_id: "ghost-corp" }]);
  });

  it("runs when published again once its cause is fixed: a dead letter is not a duplicate", async () => {
    const cmd = command("entity.deleted", "late-corp", { entity_id: "E-7", action: "archive" });
    await f.acked(await f.publish(cmd));
    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "dead_lettered" });

    const late = await registerWithBuckets(f.region.url, "late-corp", ["files"]);
    expect((await late("/files?versioning", { method: "PUT", body: "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>" })).status).toBe(200);
    await put(late, "/files/contract.pdf", "contract", { "x-amz-tagging": "entity-id=E-7" });
    await f.acked(await f.publish(cmd));
    expect((await late("/files/contract.pdf")).status).toBe(404);
    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "done", detail: { archived: 1 } });
  });
});
