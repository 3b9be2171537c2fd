import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MasterKeyRing, sealedKeyId } from "../src/secret-box.ts";

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const ring = (spec: string, active?: string) => MasterKeyRing.parse(spec, active);

describe("MasterKeyRing", () => {
  it("seals under the active key in the v1 format and opens again", () => {
    const r = ring(`k1:${k1.toString("base64")}`);
    const sealed = r.seal("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "S3GWAAAAAAAAAAAAAAAA");
    const parts = sealed.split(".");
    expect(parts).toHaveLength(5);
    expect(parts.slice(0, 2)).toEqual(["v1", "k1"]);
    expect(Buffer.from(parts[2]!, "base64url")).toHaveLength(12);
    expect(Buffer.from(parts[3]!, "base64url")).toHaveLength(16);
    expect(sealed).not.toContain("wJalr");
    expect(sealedKeyId(sealed)).toBe("k1");
    expect(r.open(sealed, "S3GWAAAAAAAAAAAAAAAA")).toBe("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  });

  it("uses a fresh IV each time", () => {
    const r = ring(`k1:${k1.toString("base64")}`);
    expect(r.seal("same", "ctx")).not.toBe(r.seal("same", "ctx"));
  });

  it("refuses a ciphertext moved to another record, altered, or in an unknown format", () => {
    const r = ring(`k1:${k1.toString("base64")}`);
    const sealed = r.seal("secret", "KEY-A");
    expect(() => r.open(sealed, "KEY-B")).toThrow(/does not authenticate/);
    const parts = sealed.split(".");
    const ct = Buffer.from(parts[4]!, "base64url");
    ct[0] = ct[0]! ^ 1;
    expect(() => r.open([...parts.slice(0, 4), ct.toString("base64url")].join("."), "KEY-A")).toThrow(/does not authenticate/);
    expect(() => r.open(sealed.replace(/^v1/, "v2"), "KEY-A")).toThrow(/not a v1 sealed secret/);
    expect(() => r.open("v1.k1.AAAA.BBBB.CCCC", "KEY-A")).toThrow(/not a v1 sealed secret/);
  });

  it("keeps secrets sealed under an older key readable after the active key changes", () => {
    const before = ring(`k1:${k1.toString("base64")}`);
    const old = before.seal("old secret", "ctx");
    const after = ring(`k1:${k1.toString("base64")},k2:${k2.toString("base64url")}`, "k2");
    expect(after.activeKeyId).toBe("k2");
    expect(after.open(old, "ctx")).toBe("old secret");
    const fresh = after.seal("new secret", "ctx");
    expect(sealedKeyId(fresh)).toBe("k2");
    expect(() => before.open(fresh, "ctx")).toThrow(/master key k2 is not configured/);
  });

  it("validates its configuration", () => {
    expect(() => ring(`k1:${randomBytes(16).toString("base64")}`)).toThrow(/must be 32 bytes, not 16/);
    expect(() => ring(`k1:${k1.toString("base64")}`, "k9")).toThrow(/active master key id k9 is not among/);
    expect(() => ring(`k1:${k1.toString("base64")},k2:${k2.toString("base64")}`)).toThrow(/MASTER_KEY_ID/);
    expect(() => ring(`k1:${k1.toString("base64")},k1:${k2.toString("base64")}`, "k1")).toThrow(/listed twice/);
    expect(() => ring(`${k1.toString("base64")}`)).toThrow(/<id>:<base64>|not base64|master key id/);
    expect(() => ring(`bad.id:${k1.toString("base64")}`)).toThrow(/master key id/);
    expect(() => ring("")).toThrow(/no master keys/);
    expect(ring(` k1:${k1.toString("base64")} , k2:${k2.toString("base64")} `, "k1").keyIds()).toEqual(["k1", "k2"]);
  });
});
