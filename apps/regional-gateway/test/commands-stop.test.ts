import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, type s3 } from "./harness.ts";
import { auditOf, command, processedRow, put, startCommandsFixture, until, type CommandsFixture } from "./commands-helpers.ts";

let f: CommandsFixture;
let acme: ReturnType<typeof s3>;

beforeAll(async () => {
  f = await startCommandsFixture("stop");
  acme = await registerWithBuckets(f.region.url, "acme-corp", ["docs"]);
  const enable = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
  expect((await acme("/docs?versioning", { method: "PUT", body: enable })).status).toBe(200);
});
afterAll(async () => {
  await f?.destroy();
});

describe("stopping the consumer", () => {
  it("finishes the command in flight (run and acknowledged once), then pulls nothing more", async () => {
    await put(acme, "/docs/slow.pdf", "slow", { "x-amz-tagging": "entity-id=E-slow" });
    const [bucket] = await f.sql<{ bucket_id: string }[]>`select bucket_id from buckets where bucket_name = 'docs'`;
    // Another writer holds the key's lock, so the command's delete waits inside its handler.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    const holder = f.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtextextended(${`${bucket!.bucket_id}/slow.pdf`}, 0))`;
      locked();
      await released;
    });
    await holding;

    const cmd = command("entity.deleted", "acme-corp", { entity_id: "E-slow", action: "archive" });
    const seq = await f.publish(cmd);
    await until(async () => (await f.sql`select 1 from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`).length > 0, "the command waiting on the key lock");

    let stopped = false;
    const stopping = f.consumer.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(stopped).toBe(false);
    release();
    await holder;
    await stopping;

    expect((await acme("/docs/slow.pdf")).status).toBe(404);
    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "done", detail: { archived: 1 } });
    const info = await f.jsm.consumers.info(f.config.stream, f.config.durable);
    expect(info.ack_floor.stream_seq).toBe(seq);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect((await auditOf(f.sql, `command:${cmd.id}`)).filter((a) => a.operation_type === "Command:entity.deleted")).toHaveLength(1);

    // Stopped: a command published now waits in the stream for the next instance.
    const later = await f.publish(command("entity.deleted", "acme-corp", { entity_id: "E-later", action: "archive" }));
    await new Promise((r) => setTimeout(r, 500));
    const after = await f.jsm.consumers.info(f.config.stream, f.config.durable);
    expect(after.num_pending).toBe(1);
    expect(after.ack_floor.stream_seq).toBeLessThan(later);
  });
});
