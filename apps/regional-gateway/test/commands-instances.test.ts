import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCommandConsumer } from "../src/services/events/commands/consumer.ts";
import { registerWithBuckets, type s3 } from "./harness.ts";
import { auditOf, command, put, startCommandsFixture, type CommandsFixture } from "./commands-helpers.ts";

let f: CommandsFixture;
let second: { stop(): Promise<void> };
let acme: ReturnType<typeof s3>;

beforeAll(async () => {
  f = await startCommandsFixture("instances");
  // A second gateway instance of the region: same database, same durable consumer.
  second = await startCommandConsumer(f.region.deps, f.config);
  acme = await registerWithBuckets(f.region.url, "acme-corp", ["records", "archive"]);
  const enable = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
  expect((await acme("/archive?versioning", { method: "PUT", body: enable })).status).toBe(200);
});
afterAll(async () => {
  await second?.stop();
  await f?.destroy();
});

describe("two instances on one durable consumer", () => {
  it("carry out each command once, however its copies are spread between them", async () => {
    const erasures = [];
    const archives = [];
    for (let i = 0; i < 4; i++) {
      await put(acme, `/records/p${i}.pdf`, `p${i}`, { "x-amz-meta-data-subject-id": `subject-p${i}` });
      await put(acme, `/archive/e${i}.pdf`, `e${i}`, { "x-amz-tagging": `entity-id=E-${i}` });
      erasures.push(command("subject.erasure", "acme-corp", { data_subject_id: `subject-p${i}` }));
      archives.push(command("entity.deleted", "acme-corp", { entity_id: `E-${i}`, action: "archive" }));
    }
    let last = 0;
    // Every command three times, copies back to back, so both instances hold copies at once.
    for (const cmd of [...erasures, ...archives]) for (let n = 0; n < 3; n++) last = await f.publish(cmd);
    await f.acked(last);

    for (let i = 0; i < 4; i++) {
      expect((await acme(`/records/p${i}.pdf`)).status).toBe(404);
      expect((await acme(`/archive/e${i}.pdf`)).status).toBe(404);
      expect(await f.sql`select 1 from data_subject_requests where data_subject_id = ${`subject-p${i}`}`).toHaveLength(1);
      expect(await f.sql`select 1 from object_delete_markers where object_key = ${`e${i}.pdf`}`).toHaveLength(1);
    }
    for (const cmd of [...erasures, ...archives]) {
      const ops = (await auditOf(f.sql, `command:${cmd.id}`)).map((a) => a.operation_type);
      expect(ops.filter((o) => o.startsWith("Command:"))).toHaveLength(1);
      expect(ops.filter((o) => o === "ExecuteDataSubjectRequest" || o === "DeleteObject")).toHaveLength(1);
    }
  });
});
