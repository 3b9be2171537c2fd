// An auditor exports a range of the operations log and verifies it offline with standard
// tools only: openssl for the checkpoint's signature, and the README's own recipe (node, no
// project code) for the chain.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminAuth, bearer, getAs, mintToken, startTestRegion, type TestRegion } from "./harness.ts";

const run = promisify(execFile);
const hasOpenssl = await run("openssl", ["version"]).then(() => true, () => false);

let fi: TestRegion;
let dir: string;
let first: Record<string, any>;
let second: Record<string, any>;

async function recipe(): Promise<string> {
  const readme = await readFile(join(import.meta.dirname, "../../../README.md"), "utf8");
  const block = readme.split("<!-- audit-export-recipe:begin -->")[1]?.split("<!-- audit-export-recipe:end -->")[0];
  const code = block?.match(/```js\n([\s\S]*?)```/)?.[1];
  if (!code) throw new Error("README has no audit export recipe");
  const path = join(dir, "verify-audit-export.mjs");
  await writeFile(path, code);
  return path;
}

const lines = (text: string) => text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  dir = await mkdtemp(join(tmpdir(), "s3gw-audit-export-"));
  await Promise.all(Array.from({ length: 10 }, () => getAs(fi.url, "/api/audit/operations?limit=1")));
  // Rows with content a naive canonicaliser would get wrong: unicode, nested unordered JSON, numbers.
  await fi.deps.audit.record({
    requestId: "awkward", customerId: "acme-corp", operationType: "Test", bucketName: "b", objectKey: "Größe/👩‍👧/\u2028\t\"q\"",
    result: "success", statusCode: 200, errorCode: null, bytesTransferred: 5, sourceIp: null, sourceCountry: null, crossBorderTransfer: false,
    complianceInfo: { z: { b: [1.5e300, 1e-7, 12345678901234567890], a: "\u0001" }, a: null, "ä": true, "\uD83D\uDE00": 1, "\uFFFF": 2 },
    durationMs: 1, principal: null, createdAt: new Date(),
  });
  first = (await (await fetch(`${fi.url}/api/audit/checkpoints`, { method: "POST", headers: adminAuth })).json()) as Record<string, any>;
  await Promise.all(Array.from({ length: 7 }, () => getAs(fi.url, "/api/audit/operations?limit=1", bearer("bad-token-xyz"))));
  second = (await (await fetch(`${fi.url}/api/audit/checkpoints`, { method: "POST", headers: adminAuth })).json()) as Record<string, any>;
  await writeFile(join(dir, "pub.pem"), await (await fetch(`${fi.url}/api/audit/public-key`)).text());
});
afterAll(async () => {
  await fi?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("audit export", () => {
  it("streams the rows between two checkpoints with both checkpoints, verifiable by the README recipe", async () => {
    const res = await getAs(fi.url, `/api/audit/export?from_id=${first.last_id + 1}&to_id=${second.last_id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/x-ndjson/);
    const text = await res.text();
    const all = lines(text);
    const rows = all.filter((l) => l.type === "row");
    expect(rows[0]!.id).toBe(first.last_id + 1);
    expect(rows.at(-1)!.id).toBe(second.last_id);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(["request_id", "compliance_info", "created_at", "prev_hash", "row_hash"]));
    expect(all.filter((l) => l.type === "checkpoint").map((c) => [c.role, c.id])).toEqual([["start", first.id], ["end", second.id]]);
    expect(all.at(-1)).toMatchObject({ type: "summary", rows: rows.length, signed_through_id: second.last_id, unsigned_tail_rows: 0 });

    const file = join(dir, "range.jsonl");
    await writeFile(file, text);
    const { stdout } = await run("node", [await recipe(), file]);
    expect(stdout).toMatch(new RegExp(`${rows.length} rows verified up to the checkpoint`));

    // The same recipe refuses a doctored export.
    const doctored = text.replace(/"result":"denied"/, '"result":"success"');
    expect(doctored).not.toBe(text);
    await writeFile(join(dir, "doctored.jsonl"), doctored);
    await expect(run("node", [await recipe(), join(dir, "doctored.jsonl")])).rejects.toThrow(/chain breaks/);
  });

  it("recomputes awkward content from the very first row (unicode, unordered nested JSON, big numbers)", async () => {
    const text = await (await getAs(fi.url, `/api/audit/export?to_id=${first.last_id}`)).text();
    expect(text).toContain("Größe");
    const file = join(dir, "head.jsonl");
    await writeFile(file, text);
    const { stdout } = await run("node", [await recipe(), file]);
    expect(stdout).toMatch(/rows verified up to the checkpoint/);
  });

  it.skipIf(!hasOpenssl)("the end checkpoint's signature verifies with openssl and the published key", async () => {
    const all = lines(await (await getAs(fi.url, `/api/audit/export?from_id=${first.last_id + 1}&to_id=${second.last_id}`)).text());
    const end = all.find((l) => l.type === "checkpoint" && l.role === "end")!;
    await writeFile(join(dir, "payload"), end.payload);
    await writeFile(join(dir, "sig"), Buffer.from(end.signature, "base64"));
    const ok = await run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", join(dir, "pub.pem"), "-rawin", "-in", join(dir, "payload"), "-sigfile", join(dir, "sig")]);
    expect(ok.stdout).toMatch(/Signature Verified Successfully/);
    await writeFile(join(dir, "payload"), end.payload.replace(/"row_count":\d+/, '"row_count":1'));
    await expect(run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", join(dir, "pub.pem"), "-rawin", "-in", join(dir, "payload"), "-sigfile", join(dir, "sig")])).rejects.toThrow();
  });

  it("exports a time range as the contiguous ids it spans, and only to region-wide auditors and admins", async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const rows = lines(await (await getAs(fi.url, `/api/audit/export?from=${from}&to=${to}`)).text()).filter((l) => l.type === "row");
    expect(rows[0]!.id).toBe(1);
    rows.forEach((r, i) => i && expect(r.prev_hash).toBe(rows[i - 1]!.row_hash));

    const auditor = await mintToken(fi.url, "auditor", "auditor");
    const officer = await mintToken(fi.url, "officer", "compliance_officer");
    expect((await getAs(fi.url, "/api/audit/export?to_id=3", bearer(auditor))).status).toBe(200);
    expect((await getAs(fi.url, "/api/audit/export?to_id=3", bearer(officer))).status).toBe(403);
    expect((await getAs(fi.url, "/api/audit/export?from_id=5&to_id=2")).status).toBe(400);
    expect((await getAs(fi.url, `/api/audit/export?from_id=1&from=${from}&to=${to}`)).status).toBe(400);
    expect((await getAs(fi.url, "/api/audit/export")).status).toBe(200);
  });
});
