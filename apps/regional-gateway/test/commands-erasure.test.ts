import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, registerWithBuckets, type s3 } from "./harness.ts";
import { auditOf, command, processedRow, put, startCommandsFixture, type CommandsFixture } from "./commands-helpers.ts";

let f: CommandsFixture;
let acme: ReturnType<typeof s3>;

const dsrsOf = (subject: string) => f.sql<{ request_id: string; status: string; requested_by: string; result: Record<string, any> }[]>`
  select request_id, status, requested_by, result from data_subject_requests where data_subject_id = ${subject} order by received_at`;

beforeAll(async () => {
  f = await startCommandsFixture("erasure");
  acme = await registerWithBuckets(f.region.url, "acme-corp", ["records"]);
});
afterAll(async () => {
  await f?.destroy();
});

describe("subject.erasure commands", () => {
  it("erases the data subject's objects through a GDPR request, audited as the API audits it", async () => {
    await put(acme, "/records/alice-1.pdf", "alice one", { "x-amz-meta-data-subject-id": "subject-alice" });
    await put(acme, "/records/alice-2.pdf", "alice two", { "x-amz-meta-data-subject-id": "subject-alice" });
    await put(acme, "/records/bob.pdf", "bob", { "x-amz-meta-data-subject-id": "subject-bob" });
    const cmd = command("subject.erasure", "acme-corp", { data_subject_id: "subject-alice", reason: "account closed upstream" });
    await f.acked(await f.publish(cmd));

    for (const key of ["alice-1.pdf", "alice-2.pdf"]) expect((await acme(`/records/${key}`)).status).toBe(404);
    expect(await (await acme("/records/bob.pdf")).text()).toBe("bob");
    expect(await f.sql`select 1 from object_metadata where data_subject_id = 'subject-alice'`).toHaveLength(0);

    const [dsr, ...more] = await dsrsOf("subject-alice");
    expect(more).toHaveLength(0);
    expect(dsr).toMatchObject({ status: "completed", requested_by: `command:issuer-1` });
    expect(dsr!.result.erased).toHaveLength(2);
    const viaApi = await (await fetch(`${f.region.url}/api/gdpr/requests/${dsr!.request_id}`, { headers: adminAuth })).json() as { notes: string };
    expect(viaApi.notes).toContain(`created by command ${cmd.id}: account closed upstream`);

    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ command: "subject.erasure", outcome: "done", detail: { request_id: dsr!.request_id } });
    const audit = await auditOf(f.sql, `command:${cmd.id}`);
    expect(audit.map((a) => [a.operation_type, a.result])).toEqual([
      ["CreateDataSubjectRequest", "success"],
      ["ExecuteDataSubjectRequest", "success"],
      ["Command:subject.erasure", "success"],
    ]);
    for (const a of audit) expect(a).toMatchObject({ customer_id: "acme-corp", principal: "command:issuer-1" });
    expect(audit[1]!.compliance_info).toMatchObject({ command_id: cmd.id, request_id: dsr!.request_id, erased: 2, kept: 0 });
    // As on the API, the data subject's id never enters the append-only log.
    expect(JSON.stringify(audit)).not.toContain("subject-alice");
  });

  it("runs a command published twice (two NATS messages, one id) once", async () => {
    await put(acme, "/records/carol.pdf", "carol", { "x-amz-meta-data-subject-id": "subject-carol" });
    const cmd = command("subject.erasure", "acme-corp", { data_subject_id: "subject-carol" });
    await f.publish(cmd);
    const second = await f.publish(cmd);
    await f.acked(second);
    expect(await dsrsOf("subject-carol")).toHaveLength(1);
    const audit = await auditOf(f.sql, `command:${cmd.id}`);
    expect(audit.filter((a) => a.operation_type === "ExecuteDataSubjectRequest")).toHaveLength(1);
    expect(audit.filter((a) => a.operation_type === "Command:subject.erasure")).toHaveLength(1);
  });

  it("keeps what a legal hold protects, leaving the request open as the API does", async () => {
    expect((await acme("/vault", { method: "PUT", headers: { "x-amz-bucket-object-lock-enabled": "true" } })).status).toBe(200);
    await put(acme, "/vault/dave-held.pdf", "held", { "x-amz-meta-data-subject-id": "subject-dave", "x-amz-object-lock-legal-hold": "ON" });
    await put(acme, "/vault/dave-free.pdf", "free", { "x-amz-meta-data-subject-id": "subject-dave" });
    const cmd = command("subject.erasure", "acme-corp", { data_subject_id: "subject-dave" });
    await f.acked(await f.publish(cmd));
    expect((await acme("/vault/dave-free.pdf")).status).toBe(404);
    expect(await (await acme("/vault/dave-held.pdf")).text()).toBe("held");
    const [dsr] = await dsrsOf("subject-dave");
    expect(dsr).toMatchObject({ status: "in_progress", result: { outcome: "partial" } });
    expect(dsr!.result.kept[0]).toMatchObject({ key: "dave-held.pdf", reason: "legal hold" });
  });

  it("executes the request an earlier delivery created but did not get to execute (a crash between the two commits)", async () => {
    await put(acme, "/records/erin.pdf", "erin", { "x-amz-meta-data-subject-id": "subject-erin" });
    const cmd = command("subject.erasure", "acme-corp", { data_subject_id: "subject-erin" });
    // What the first delivery's transaction leaves behind when the process dies right after it.
    const [pending] = await f.sql<{ request_id: string }[]>`
      insert into data_subject_requests (customer_id, data_subject_id, request_type, status, response_deadline, requested_by)
      values ('acme-corp', 'subject-erin', 'erasure', 'pending', now() + interval '30 days', 'command:issuer-1') returning request_id`;
    await f.sql`insert into processed_events (event_id, command, outcome, detail) values (${cmd.id}, 'subject.erasure', 'done', ${f.sql.json({ request_id: pending!.request_id })})`;
    await f.acked(await f.publish(cmd));
    expect((await acme("/records/erin.pdf")).status).toBe(404);
    expect(await dsrsOf("subject-erin")).toMatchObject([{ request_id: pending!.request_id, status: "completed" }]);
  });
});
