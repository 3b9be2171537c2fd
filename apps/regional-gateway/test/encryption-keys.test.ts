import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKeyMaintenance } from "../src/services/keys/key-maintenance.ts";
import { createKey, keyAction } from "./customer-keys-helpers.ts";
import { MARKER, MARKER_TEXT, MIB, SEG, marked, multipartUpload, s3Code, sha, sleep, startSealedRegion, sseCHeaders, type SealedRegion } from "./encryption-at-rest-helpers.ts";
import { adminAuth, registerWithBuckets, s3 } from "./harness.ts";
import { xmlValue } from "./s3-write-helpers.ts";

// Customer keys on the data path: KEK rotation and the re-wrap pass, disabled keys, and
// crypto-shredding, all read back through the S3 API of one real region.
let r: SealedRegion;
beforeAll(async () => {
  r = await startSealedRegion({ cryptoShredDelaySeconds: 1 });
}, 60_000);
afterAll(async () => {
  await r?.stop();
});

describe("KEK rotation, re-wrap and disabled keys", () => {
  let acme: ReturnType<typeof s3>;
  let keyId: string;
  const old = marked(3 * SEG);
  beforeAll(async () => {
    acme = await registerWithBuckets(r.fi.url, "rotate-co", ["keyed"]);
    keyId = (await createKey(r.fi.url, "rotate-co")).key_id;
  });
  const kms = () => ({ "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": keyId });

  it("old objects stay readable after rotation, new ones use the new version, the re-wrap moves old rows and leaves the bytes", async () => {
    expect((await acme("/keyed/old.bin", { method: "PUT", body: old, headers: kms() })).status).toBe(200);
    const mp = await multipartUpload(acme, "/keyed/old-multi.bin", [marked(5 * MIB), marked(SEG)], kms());
    expect((await mp.complete()).status).toBe(200);
    const before = await r.keyVersionOf("rotate-co", "old.bin");
    expect([before.k, before.v]).toEqual([keyId, "1"]);
    const diskBefore = sha(await readFile(await r.blobPath("rotate-co", "old.bin")));

    const rotated = await keyAction(r.fi.url, "rotate-co", keyId, "rotate");
    expect([rotated.status, rotated.body.current_version]).toEqual([200, 2]);
    expect(sha(Buffer.from(await (await acme("/keyed/old.bin")).arrayBuffer()))).toBe(sha(old));
    expect((await acme("/keyed/new.bin", { method: "PUT", body: old, headers: kms() })).status).toBe(200);
    expect((await r.keyVersionOf("rotate-co", "new.bin")).v).toBe("2");

    const pass = await runKeyMaintenance(r.fi.deps);
    expect(pass.rewrapped).toBeGreaterThanOrEqual(3); // old.bin and the two parts of old-multi.bin
    const after = await r.keyVersionOf("rotate-co", "old.bin");
    expect(after.v).toBe("2");
    expect(after.w).not.toBe(before.w);
    const partVersions = await r.sql`select distinct p.encryption->'dataKey'->>'keyVersion' as v from object_parts p where p.customer_id = 'rotate-co'`;
    expect(partVersions.map((r) => r.v)).toEqual(["2"]);
    expect(sha(await readFile(await r.blobPath("rotate-co", "old.bin")))).toBe(diskBefore);
    expect(sha(Buffer.from(await (await acme("/keyed/old.bin")).arrayBuffer()))).toBe(sha(old));
    expect(sha(Buffer.from(await (await acme("/keyed/old-multi.bin")).arrayBuffer()))).toBe(sha(Buffer.concat([marked(5 * MIB), marked(SEG)])));
  }, 60_000);

  it("rotating the customer's default key keeps SSE-S3 objects readable; new ones use the new version", async () => {
    expect((await acme("/keyed/sse-s3-old.bin", { method: "PUT", body: old })).status).toBe(200);
    const before = await r.keyVersionOf("rotate-co", "sse-s3-old.bin");
    const list = (await (await fetch(`${r.fi.url}/api/customers/rotate-co/keys`, { headers: adminAuth })).json()) as { items?: { key_id: string; is_default: boolean }[] } | { key_id: string; is_default: boolean }[];
    const items = Array.isArray(list) ? list : (list.items ?? []);
    const def = items.find((k) => k.is_default);
    expect(def?.key_id).toBe(before.k);
    expect((await keyAction(r.fi.url, "rotate-co", before.k, "rotate")).status).toBe(200);
    expect((await acme("/keyed/sse-s3-new.bin", { method: "PUT", body: old })).status).toBe(200);
    expect((await r.keyVersionOf("rotate-co", "sse-s3-new.bin")).v).toBe(String(Number(before.v) + 1));
    expect(sha(Buffer.from(await (await acme("/keyed/sse-s3-old.bin")).arrayBuffer()))).toBe(sha(old));
    await runKeyMaintenance(r.fi.deps);
    expect((await r.keyVersionOf("rotate-co", "sse-s3-old.bin")).v).toBe(String(Number(before.v) + 1));
    expect(sha(Buffer.from(await (await acme("/keyed/sse-s3-old.bin")).arrayBuffer()))).toBe(sha(old));
  });

  it("a disabled key makes its objects unreadable (KMS.DisabledException), other keys' objects read; enable restores", async () => {
    expect((await acme("/keyed/default.bin", { method: "PUT", body: old })).status).toBe(200);
    expect((await keyAction(r.fi.url, "rotate-co", keyId, "disable")).status).toBe(200);
    for (const k of ["old.bin", "new.bin", "old-multi.bin"]) {
      const res = await acme(`/keyed/${k}`);
      const text = await res.text();
      expect([res.status, xmlValue(text, "Code")], k).toEqual([400, "KMS.DisabledException"]);
      expect(text.includes(MARKER_TEXT)).toBe(false);
    }
    expect(await s3Code(await acme("/keyed/old.bin", { headers: { range: "bytes=0-10" } }))).toEqual([400, "KMS.DisabledException"]);
    expect((await acme("/keyed/default.bin")).status).toBe(200);
    expect(await s3Code(await acme("/keyed/x.bin", { method: "PUT", body: "x", headers: kms() }))).toEqual([400, "KMS.DisabledException"]);
    expect((await keyAction(r.fi.url, "rotate-co", keyId, "enable")).status).toBe(200);
    for (const k of ["old.bin", "new.bin", "old-multi.bin"]) expect((await acme(`/keyed/${k}`)).status, k).toBe(200);
  });
});

describe("crypto-shredding", () => {
  it("makes every object of the customer unreadable (400 KMS.KMSInvalidStateException), records an event, spares another customer", async () => {
    const doomed = await registerWithBuckets(r.fi.url, "shred-co", ["gone", "gone-too"]);
    const bystander = await registerWithBuckets(r.fi.url, "bystander-co", ["gone"]);
    const named = await createKey(r.fi.url, "shred-co");
    const ck = randomBytes(32);
    const sseC = sseCHeaders(ck);
    const writes: [string, Record<string, string>][] = [
      ["/gone/s3.bin", {}],
      ["/gone/kms.bin", { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": named.key_id }],
      ["/gone-too/ssec.bin", sseC],
    ];
    for (const [p, h] of writes) expect((await doomed(p, { method: "PUT", body: MARKER, headers: h })).status, p).toBe(200);
    const mp = await multipartUpload(doomed, "/gone/multi.bin", [marked(5 * MIB), MARKER]);
    expect((await mp.complete()).status).toBe(200);
    expect((await bystander("/gone/s3.bin", { method: "PUT", body: MARKER })).status).toBe(200);

    const res = await fetch(`${r.fi.url}/api/customers/shred-co/crypto-shred`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify({ reason: "offboarding: end-to-end test" }) });
    expect(res.status).toBe(202);
    await sleep(1100);
    expect((await runKeyMaintenance(r.fi.deps)).shreds).toEqual([expect.objectContaining({ customer_id: "shred-co", status: "executed" })]);

    for (const [p, h] of [...writes, ["/gone/multi.bin", {}] as [string, Record<string, string>]]) {
      for (const range of [undefined, "bytes=0-3"]) {
        const got = await doomed(p, { headers: { ...(h === sseC ? sseC : {}), ...(range ? { range } : {}) } });
        const text = await got.text();
        expect([got.status, xmlValue(text, "Code")], `${p} ${range}`).toEqual([400, "KMS.KMSInvalidStateException"]);
        expect(xmlValue(text, "Message"), p).toMatch(/destroyed/i);
        expect(text.includes(MARKER.toString())).toBe(false);
      }
    }
    // A copy cannot lift the bytes out either, and a new write has no key to seal under.
    expect(await s3Code(await doomed("/gone/copied.bin", { method: "PUT", headers: { "x-amz-copy-source": "/gone/s3.bin" } }))).toEqual([400, "KMS.KMSInvalidStateException"]);
    const [event] = await r.sql`select event_type from compliance_events where customer_id = 'shred-co' and event_type like 'crypto_shred%'`;
    expect(event!.event_type).toBe("crypto_shred_executed");
    const spared = await bystander("/gone/s3.bin");
    expect([spared.status, await spared.text()]).toEqual([200, MARKER.toString()]);
  }, 60_000);
});
