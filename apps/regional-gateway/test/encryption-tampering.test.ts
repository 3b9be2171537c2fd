import { randomBytes } from "node:crypto";
import { open, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "./customer-keys-helpers.ts";
import { MARKER_TEXT, MIB, SEALED_SEG, SEG, marked, multipartUpload, s3Code, sha, startSealedRegion, sseCHeaders, type SealedRegion } from "./encryption-at-rest-helpers.ts";
import { registerWithBuckets, s3 } from "./harness.ts";
import { xmlValue } from "./s3-write-helpers.ts";

// Tampering with what a region stores: ciphertext on disk (flipped bit, swapped segments,
// truncation) and the rows that say how a blob is sealed. Each is an integrity or KMS failure;
// no byte of plaintext is ever served.
let r: SealedRegion;
beforeAll(async () => {
  r = await startSealedRegion();
}, 60_000);
afterAll(async () => {
  await r?.stop();
});

describe("tampered ciphertext on disk is an integrity failure, never plaintext", () => {
  const body = marked(3 * SEG + 100); // 4 sealed segments, under the verify-before-sending threshold
  const large = marked(6 * MIB + 7); // above it: streamed, so a failure ends the response short
  let acme: ReturnType<typeof s3>;
  beforeAll(async () => {
    acme = await registerWithBuckets(r.fi.url, "tamper-co", ["tampered"]);
    for (const k of ["flip.bin", "swap.bin", "cut.bin", "cut-mid.bin", "intact.bin"]) expect((await acme(`/tampered/${k}`, { method: "PUT", body })).status).toBe(200);
    for (const k of ["large-flip.bin", "large-swap.bin"]) expect((await acme(`/tampered/${k}`, { method: "PUT", body: large })).status).toBe(200);
    for (const k of ["multi-flip.bin", "multi-small.bin"]) {
      const mp = await multipartUpload(acme, `/tampered/${k}`, [marked(5 * MIB), marked(2 * SEG + 9)]);
      expect((await mp.complete()).status).toBe(200);
    }
  }, 60_000);

  async function partPath(key: string, partNumber: number): Promise<string> {
    const [row] = await r.sql`select p.storage_key from object_parts p join object_metadata o on o.storage_key = p.manifest_key where o.customer_id = 'tamper-co' and o.object_key = ${key} and p.part_number = ${partNumber}`;
    return join(r.fi.storageDir, row!.storage_key as string);
  }
  async function flipBit(key: string, at: number, path?: string) {
    const f = await open(path ?? (await r.blobPath("tamper-co", key)), "r+");
    try {
      const b = Buffer.alloc(1);
      await f.read(b, 0, 1, at);
      b[0] = b[0]! ^ 0x01;
      await f.write(b, 0, 1, at);
    } finally {
      await f.close();
    }
  }
  async function swapSegments(key: string, a: number, b: number) {
    const path = await r.blobPath("tamper-co", key);
    const bytes = await readFile(path);
    const segA = Buffer.from(bytes.subarray(a * SEALED_SEG, (a + 1) * SEALED_SEG));
    bytes.copy(bytes, a * SEALED_SEG, b * SEALED_SEG, (b + 1) * SEALED_SEG);
    segA.copy(bytes, b * SEALED_SEG);
    await writeFile(path, bytes);
  }
  async function expectRefused(key: string) {
    const res = await acme(`/tampered/${key}`);
    const text = await res.text();
    expect(res.status, key).toBe(503);
    expect(xmlValue(text, "Code")).toBe("ServiceUnavailable");
    expect(text.includes(MARKER_TEXT)).toBe(false);
    const ev = await r.events("tamper-co", key);
    expect(ev, key).toHaveLength(1);
    expect(ev[0]).toMatchObject({ severity: "critical", details: { reason: "hash_mismatch", detected_by: "read" } });
  }
  /** A streamed read that fails: the body never arrives whole, and no plaintext of a damaged segment leaks beyond what authenticated. */
  async function expectCutShort(key: string, fullLength = large.length) {
    const res = await acme(`/tampered/${key}`);
    let got = 0;
    let failed = false;
    const seen: Buffer[] = [];
    try {
      for await (const chunk of res.body!) {
        got += (chunk as Uint8Array).length;
        if (res.status !== 200) seen.push(Buffer.from(chunk as Uint8Array));
      }
    } catch {
      failed = true;
    }
    expect(res.status === 200 && !failed, `${key}: ${res.status} ${got} bytes ${Buffer.concat(seen).toString()}`).toBe(false);
    expect(got, key).toBeLessThan(fullLength);
    await expect.poll(async () => (await r.events("tamper-co", key)).length).toBe(1);
  }

  it("the untouched object reads whole", async () => {
    const res = await acme("/tampered/intact.bin");
    expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(body));
  });

  it("one flipped bit in the middle of a segment", async () => {
    await flipBit("flip.bin", SEALED_SEG + 1000);
    await expectRefused("flip.bin");
    // A range that does not touch the damaged segment is still refused: the whole small object is checked.
    expect((await acme("/tampered/flip.bin", { headers: { range: "bytes=0-99" } })).status).toBe(503);
  });

  it("two segments swapped (each authenticates alone, not in the other's place)", async () => {
    await swapSegments("swap.bin", 1, 2);
    await expectRefused("swap.bin");
  });

  it("a truncation at a segment boundary (the final segment dropped) and inside a segment", async () => {
    await truncate(await r.blobPath("tamper-co", "cut.bin"), 3 * SEALED_SEG);
    await expectRefused("cut.bin");
    await truncate(await r.blobPath("tamper-co", "cut-mid.bin"), 2 * SEALED_SEG + 500);
    await expectRefused("cut-mid.bin");
  });

  it("a large streamed object: a flipped bit and a swap end the transfer short with an event", async () => {
    await flipBit("large-flip.bin", 20 * SEALED_SEG + 3);
    await expectCutShort("large-flip.bin");
    await swapSegments("large-swap.bin", 3, 4);
    await expectCutShort("large-swap.bin");
  });

  it("a multipart object with one bit flipped in its second part: cut short or refused, with an event", async () => {
    await flipBit("multi-flip.bin", SEALED_SEG + 5, await partPath("multi-flip.bin", 2));
    await expectCutShort("multi-flip.bin", 5 * MIB + 2 * SEG + 9);
    // A range inside the intact first part still reads: each part authenticates on its own.
    const res = await acme("/tampered/multi-flip.bin", { headers: { range: "bytes=0-99" } });
    expect([res.status, (await res.text()).length]).toEqual([206, 100]);
    // A range inside the damaged segment is refused, never served.
    const bad = await acme("/tampered/multi-flip.bin", { headers: { range: `bytes=${5 * MIB + SEG}-${5 * MIB + SEG + 10}` } });
    let failed = false;
    let body = "";
    try {
      body = await bad.text();
    } catch {
      failed = true;
    }
    expect(bad.status !== 206 || failed, `${bad.status} ${body.slice(0, 80)}`).toBe(true);
    expect(body.includes(MARKER_TEXT)).toBe(false);
  });

  it("the read's integrity event names the damaged part of a multipart object", async () => {
    await flipBit("multi-small.bin", 5, await partPath("multi-small.bin", 2));
    const res = await acme("/tampered/multi-small.bin");
    try {
      await res.arrayBuffer();
    } catch {
      // cut short: expected
    }
    await expect.poll(async () => (await r.events("tamper-co", "multi-small.bin")).length).toBe(1);
    expect((await r.events("tamper-co", "multi-small.bin"))[0]!.details).toMatchObject({ damaged_part: { part_number: 2 } });
  });

  // A sealed stream failing before its first bytes were sent must not reach the HTTP adapter
  // as a broken response (it would answer 500 text/plain): the first bytes authenticate first.
  it("a damaged large object is answered 503 ServiceUnavailable (S3 XML) or cut short, never a 500 text/plain", async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await acme("/tampered/large-swap.bin");
      let failed = false;
      try {
        for await (const _ of res.body!) void _;
      } catch {
        failed = true;
      }
      outcomes.push(res.status === 200 ? (failed ? "cut short" : "WHOLE") : `${res.status} ${res.headers.get("content-type")}`);
    }
    for (const o of outcomes) expect(["cut short", "503 application/xml"]).toContain(o);
  });
});

describe("tampered encryption metadata never opens the bytes", () => {
  const ck = randomBytes(32);
  const sseC = sseCHeaders(ck);
  let acme: ReturnType<typeof s3>;
  beforeAll(async () => {
    acme = await registerWithBuckets(r.fi.url, "meta-co", ["meta"]);
    await registerWithBuckets(r.fi.url, "meta-other", ["meta-o"]);
    for (const k of ["a.bin", "b.bin"]) expect((await acme(`/meta/${k}`, { method: "PUT", body: marked(SEG + 1) })).status).toBe(200);
    expect((await acme("/meta/c.bin", { method: "PUT", body: marked(SEG + 1), headers: sseC })).status).toBe(200);
  });
  const encOf = async (key: string) => (await r.sql`select encryption from object_metadata where customer_id = 'meta-co' and object_key = ${key}`)[0]!.encryption as Record<string, unknown>;
  const setEnc = (key: string, enc: unknown) => r.sql`update object_metadata set encryption = ${r.sql.json(enc as never)} where customer_id = 'meta-co' and object_key = ${key}`;

  it("another object's wrapped data key in the row: the bytes do not authenticate (503), nothing served", async () => {
    await setEnc("a.bin", await encOf("b.bin"));
    const res = await acme("/meta/a.bin");
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(text.includes(MARKER_TEXT)).toBe(false);
  });

  it("an SSE-C row downgraded to SSE-S3 in the database still cannot be read without the client's key", async () => {
    const enc = await encOf("c.bin");
    expect(enc).toMatchObject({ mode: "SSE-C" });
    const { customerKeyHmac: _, ...rest } = enc;
    await setEnc("c.bin", { ...rest, mode: "AES256" });
    const res = await acme("/meta/c.bin");
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(text.includes(MARKER_TEXT)).toBe(false);
    await setEnc("c.bin", enc);
    expect((await acme("/meta/c.bin", { headers: sseC })).status).toBe(200);
  });

  it("a wrapped data key altered, or claimed under another customer's key: refused as a KMS error, no bytes", async () => {
    const enc = (await encOf("b.bin")) as { dataKey: { wrapped: string } } & Record<string, unknown>;
    const wrapped = Buffer.from(enc.dataKey.wrapped, "base64");
    wrapped[wrapped.length - 1]! ^= 1;
    await setEnc("b.bin", { ...enc, dataKey: { ...enc.dataKey, wrapped: wrapped.toString("base64") } });
    expect(await s3Code(await acme("/meta/b.bin"))).toEqual([400, "KMS.InvalidCiphertextException"]);
    const foreign = await createKey(r.fi.url, "meta-other");
    await setEnc("b.bin", { ...enc, keyId: foreign.key_id });
    const res = await acme("/meta/b.bin");
    const [status, code] = await s3Code(res);
    expect(status).toBe(400);
    expect(String(code)).toMatch(/^KMS\.(NotFoundException|InvalidCiphertextException)$/);
  });
});
