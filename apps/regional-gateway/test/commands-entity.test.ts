import { access } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWithBuckets, type s3 } from "./harness.ts";
import { auditOf, command, processedRow, put, startCommandsFixture, type CommandsFixture } from "./commands-helpers.ts";

let f: CommandsFixture;
let acme: ReturnType<typeof s3>;
const versioning = (status: string) => ({ method: "PUT", body: `<VersioningConfiguration><Status>${status}</Status></VersioningConfiguration>` });
const tagged = (entity: string) => ({ "x-amz-tagging": `entity-id=${encodeURIComponent(entity)}` });

const versionsOf = async (bucket: string, key: string) =>
  (await f.sql<{ version_id: string }[]>`select version_id from object_metadata where bucket_name = ${bucket} and object_key = ${key} order by version_stamp`).map((r) => r.version_id);
const markersOf = async (bucket: string, key: string) =>
  (await f.sql`select 1 from object_delete_markers where bucket_name = ${bucket} and object_key = ${key}`).length;
const storageKeyOf = async (bucket: string, key: string) =>
  (await f.sql<{ storage_key: string }[]>`select storage_key from object_metadata where bucket_name = ${bucket} and object_key = ${key}`)[0]!.storage_key;
const onDisk = (storageKey: string) => access(join(f.region.storageDir, storageKey)).then(() => true, () => false);

beforeAll(async () => {
  f = await startCommandsFixture("entity");
  acme = await registerWithBuckets(f.region.url, "acme-corp", ["versioned", "plain", "suspended"]);
  expect((await acme("/versioned?versioning", versioning("Enabled"))).status).toBe(200);
  expect((await acme("/suspended?versioning", versioning("Enabled"))).status).toBe(200);
  expect((await acme("/locked", { method: "PUT", headers: { "x-amz-bucket-object-lock-enabled": "true" } })).status).toBe(200);
});
afterAll(async () => {
  await f?.destroy();
});

describe("entity.deleted commands", () => {
  it("archive: a delete marker over each tagged object in a versioned bucket, its versions kept; refused where it would destroy", async () => {
    const kept = await put(acme, "/versioned/doc-a", "a", tagged("E1"));
    await put(acme, "/versioned/doc-b", "b", tagged("E2"));
    await put(acme, "/plain/doc-c", "c", tagged("E1"));
    await put(acme, "/suspended/doc-d", "d", tagged("E1"));
    expect((await acme("/suspended?versioning", versioning("Suspended"))).status).toBe(200);
    await put(acme, "/suspended/doc-e", "e", tagged("E1"));
    const cmd = command("entity.deleted", "acme-corp", { entity_id: "E1", action: "archive" });
    await f.acked(await f.publish(cmd));

    expect((await acme("/versioned/doc-a")).status).toBe(404);
    expect(await (await acme(`/versioned/doc-a?versionId=${kept}`)).text()).toBe("a");
    expect(await markersOf("versioned", "doc-a")).toBe(1);
    expect(await (await acme("/versioned/doc-b")).text()).toBe("b");
    // Never versioned: a delete would destroy, not archive.
    expect(await (await acme("/plain/doc-c")).text()).toBe("c");
    // Suspended: written while versioning was on, its version survives under the marker; the null version would not.
    expect((await acme("/suspended/doc-d")).status).toBe(404);
    expect(await versionsOf("suspended", "doc-d")).toHaveLength(1);
    expect(await (await acme("/suspended/doc-e")).text()).toBe("e");

    const row = await processedRow(f.sql, cmd.id);
    expect(row).toMatchObject({ outcome: "done", detail: { archived: 2, refused: 2, erased: 0 } });
    expect(row!.detail.items).toEqual(expect.arrayContaining([
      expect.objectContaining({ bucket: "plain", key: "doc-c", action: "refused" }),
      expect.objectContaining({ bucket: "suspended", key: "doc-e", action: "refused" }),
    ]));
    const audit = await auditOf(f.sql, `command:${cmd.id}`);
    expect(audit.filter((a) => a.operation_type === "DeleteObject").map((a) => [a.bucket_name, a.object_key, a.result]).sort()).toEqual([
      ["plain", "doc-c", "denied"], ["suspended", "doc-d", "success"], ["suspended", "doc-e", "denied"], ["versioned", "doc-a", "success"],
    ]);
    expect(audit.at(-1)).toMatchObject({ operation_type: "Command:entity.deleted", result: "success", principal: "command:issuer-1" });
  });

  it("erase: every tagged version goes for good, bytes included, except what a legal hold protects", async () => {
    await put(acme, "/versioned/e-1", "one", tagged("E3"));
    await put(acme, "/versioned/e-1", "two", tagged("E3"));
    expect((await acme("/versioned/e-1", { method: "DELETE" })).status).toBe(204);
    await put(acme, "/versioned/e-2", "mine", tagged("E3"));
    await put(acme, "/versioned/e-2", "not the entity's any more");
    await put(acme, "/locked/e-3", "held", { ...tagged("E3"), "x-amz-object-lock-legal-hold": "ON" });
    await put(acme, "/plain/e-4", "plain", tagged("E3"));
    const plainBytes = await storageKeyOf("plain", "e-4");
    expect(await onDisk(plainBytes)).toBe(true);
    const cmd = command("entity.deleted", "acme-corp", { entity_id: "E3", action: "erase" });
    await f.acked(await f.publish(cmd));

    // Both versions and the marker left hiding nothing.
    expect(await versionsOf("versioned", "e-1")).toEqual([]);
    expect(await markersOf("versioned", "e-1")).toBe(0);
    // Tags belong to a version: the untagged newer version is not the entity's.
    expect(await versionsOf("versioned", "e-2")).toHaveLength(1);
    expect(await (await acme("/versioned/e-2")).text()).toBe("not the entity's any more");
    expect(await (await acme("/locked/e-3")).text()).toBe("held");
    expect((await acme("/plain/e-4")).status).toBe(404);
    expect(await onDisk(plainBytes)).toBe(false);

    const row = await processedRow(f.sql, cmd.id);
    expect(row).toMatchObject({ outcome: "done", detail: { erased: 4, marker_removed: 1, kept: 1 } });
    expect(row!.detail.items).toContainEqual(expect.objectContaining({ bucket: "locked", key: "e-3", action: "kept", reason: expect.stringContaining("legal hold") }));
    const audit = await auditOf(f.sql, `command:${cmd.id}`);
    expect(audit.filter((a) => a.operation_type === "DeleteObject" && a.result === "denied")).toMatchObject([{ bucket_name: "locked", object_key: "e-3", error_code: "AccessDenied" }]);
  });

  it("only the command's customer: another customer's object with the same tag is untouched", async () => {
    const globex = await registerWithBuckets(f.region.url, "globex", ["globex-files"]);
    await put(globex, "/globex-files/theirs", "theirs", tagged("E4"));
    const cmd = command("entity.deleted", "acme-corp", { entity_id: "E4", action: "erase" });
    await f.acked(await f.publish(cmd));
    expect(await (await globex("/globex-files/theirs")).text()).toBe("theirs");
    expect(await processedRow(f.sql, cmd.id)).toMatchObject({ outcome: "done", detail: { erased: 0 } });
  });
});
