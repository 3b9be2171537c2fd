import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, type s3 } from "./harness.ts";
import { auditOf, command, KEY_ID, processedRow, put, signature, startCommandsFixture, type CommandBody, type CommandsFixture } from "./commands-helpers.ts";

let f: CommandsFixture;
let acme: ReturnType<typeof s3>;
const SUBJECT = "subject-frank";

const erasure = (overrides: Partial<CommandBody> = {}) => command("subject.erasure", "acme-corp", { data_subject_id: SUBJECT }, overrides);
const requests = async () => (await f.sql`select 1 from data_subject_requests where data_subject_id = ${SUBJECT}`).length;
const unauthenticatedKey = (raw: string) => `unauthenticated:${createHash("sha256").update(raw).digest("hex")}`;

/** Publishes, waits for the ack, and asserts the command did nothing to the subject's object. */
async function publishRefused(body: CommandBody | string, sig?: string | null): Promise<number> {
  const seq = await f.publish(body, sig);
  await f.acked(seq);
  expect(await requests()).toBe(0);
  expect(await (await acme("/records/frank.pdf")).text()).toBe("frank");
  return seq;
}

const streamAudit = (seq: number) => auditOf(f.sql, `command@${f.config.stream}/${seq}`);

beforeAll(async () => {
  f = await startCommandsFixture("refusal");
  acme = await registerWithBuckets(f.region.url, "acme-corp", ["records"]);
  await put(acme, "/records/frank.pdf", "frank", { "x-amz-meta-data-subject-id": SUBJECT });
});
afterAll(async () => {
  await f?.destroy();
});

describe("commands the region refuses (audited, recorded, acknowledged, never run)", () => {
  it("an unsigned command, recorded by its body's hash and audited without believing its customer", async () => {
    const cmd = erasure();
    const raw = JSON.stringify(cmd);
    const seq = await publishRefused(raw, null);
    expect(await processedRow(f.sql, unauthenticatedKey(raw))).toMatchObject({ command: "subject.erasure", outcome: "refused", detail: { code: "CommandUnsigned" } });
    expect(await processedRow(f.sql, cmd.id)).toBeUndefined();
    expect(await streamAudit(seq)).toMatchObject([{ operation_type: "Command:subject.erasure", result: "denied", error_code: "CommandUnsigned", customer_id: null, principal: null }]);
  });

  it("a tampered command (signed, then its subject changed) and one signed with the wrong key", async () => {
    // A genuine command about someone else, redirected at this subject.
    const genuine = JSON.stringify(command("subject.erasure", "acme-corp", { data_subject_id: "subject-other" }));
    const tampered = await publishRefused(genuine.replace("subject-other", SUBJECT), signature(genuine));
    const good = JSON.stringify(erasure());
    const wrongKey = await publishRefused(good, signature(good, KEY_ID, randomBytes(32)));
    for (const seq of [tampered, wrongKey]) expect(await streamAudit(seq)).toMatchObject([{ result: "denied", error_code: "CommandSignatureMismatch", customer_id: null }]);
  });

  it("a command naming a key the region does not have, and a malformed signature header", async () => {
    const raw = JSON.stringify(erasure());
    const unknown = await publishRefused(raw, signature(raw, "issuer-9"));
    const malformed = await publishRefused(raw, `v2,key=${KEY_ID},sig=00`);
    expect(await streamAudit(unknown)).toMatchObject([{ error_code: "CommandUnknownKey" }]);
    expect(await streamAudit(malformed)).toMatchObject([{ error_code: "CommandSignatureMalformed" }]);
  });

  it("a stale command and one issued in the future, beyond the maximum age of their publication", async () => {
    for (const offset of [-10 * 60_000, 10 * 60_000]) {
      const cmd = erasure({ issued_at: new Date(Date.now() + offset).toISOString() });
      await publishRefused(cmd);
      expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "refused", detail: { code: "CommandStale", key_id: KEY_ID } });
      expect(await auditOf(f.sql, `command:${cmd.id}`)).toMatchObject([{ operation_type: "Command:subject.erasure", result: "denied", error_code: "CommandStale", customer_id: "acme-corp", principal: `command:${KEY_ID}` }]);
    }
  });

  it("a command for another region", async () => {
    const cmd = erasure({ region: "DE-FRA" });
    await publishRefused(cmd);
    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "refused", detail: { code: "CommandWrongRegion" } });
    expect(await auditOf(f.sql, `command:${cmd.id}`)).toMatchObject([{ result: "denied", error_code: "CommandWrongRegion" }]);
  });

  it("signed commands that are not well formed: not JSON, an unknown type, an unexpected field", async () => {
    const notJson = await publishRefused("{ not json");
    expect(await streamAudit(notJson)).toMatchObject([{ operation_type: "Command:unknown", error_code: "CommandMalformed" }]);
    const unknownType = command("subject.rename", "acme-corp", {});
    const extraField = { ...erasure(), data: { data_subject_id: SUBJECT, also: "this" } };
    for (const cmd of [unknownType, extraField]) {
      await publishRefused(cmd);
      expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "refused", detail: { code: "CommandMalformed" } });
    }
  });

  it("a body over 64 KiB, refused before it is parsed, signature or not", async () => {
    const cmd = erasure({ data: { data_subject_id: SUBJECT, reason: "x".repeat(70_000) } } as Partial<CommandBody>);
    const seq = await publishRefused(cmd);
    expect(await streamAudit(seq)).toMatchObject([{ error_code: "CommandTooLarge", customer_id: null }]);
    expect(await processedRow(f.sql, cmd.id)).toBeUndefined();
  });

  it("customer.offboard without a reason: refused as malformed, nothing offboarded", async () => {
    const cmd = command("customer.offboard", "acme-corp", {});
    await publishRefused(cmd);
    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "refused", detail: { code: "CommandMalformed" } });
    expect(await auditOf(f.sql, `command:${cmd.id}`)).toMatchObject([{ operation_type: "Command:customer.offboard", result: "denied", error_code: "CommandMalformed" }]);
    expect((await f.sql`select count(*)::int as n from customer_offboarding`)[0]!.n).toBe(0);
    expect((await f.sql`select status from customers where customer_id = 'acme-corp'`)[0]!.status).toBe("active");
  });

  it("an unsigned message cannot take a real command's id: the signed command with that id still runs", async () => {
    const cmd = erasure();
    await publishRefused(cmd, null);
    await f.acked(await f.publish(cmd));
    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "done" });
    expect((await acme("/records/frank.pdf")).status).toBe(404);
  });
});
