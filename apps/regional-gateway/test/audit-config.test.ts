import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { TEST_TOPOLOGY } from "./harness.ts";

let dir: string;
const base = { REGION_ID: "FI-HEL", DATABASE_URL: "postgres://x@127.0.0.1/x", STORAGE_DIR: "/tmp/x", TOPOLOGY_JSON: JSON.stringify(TEST_TOPOLOGY) };
const ed25519Pem = () => generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "s3gw-audit-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("audit signing configuration", () => {
  it("reads an Ed25519 key as PEM (also with \\n escapes) or from a file, and defaults the intervals", async () => {
    const pem = ed25519Pem();
    const a = loadConfig({ ...base, AUDIT_SIGNING_KEY: pem.replace(/\n/g, "\\n") });
    expect(a.auditSigner?.publicKeyPem).toMatch(/BEGIN PUBLIC KEY/);
    const file = join(dir, "key.pem");
    await writeFile(file, pem);
    const b = loadConfig({ ...base, AUDIT_SIGNING_KEY_FILE: file });
    expect(b.auditSigner?.fingerprint).toBe(a.auditSigner?.fingerprint);
    expect(b).toMatchObject({ auditCheckpointIntervalMs: 900_000, auditCheckpointRetentionDays: 3650 });
    expect(loadConfig(base).auditSigner).toBeUndefined();
  });

  it("refuses a key that is not Ed25519, an unreadable one, or both settings at once", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(() => loadConfig({ ...base, AUDIT_SIGNING_KEY: rsa })).toThrow(/AUDIT_SIGNING_KEY: .*Ed25519/);
    expect(() => loadConfig({ ...base, AUDIT_SIGNING_KEY: "not a key" })).toThrow(/AUDIT_SIGNING_KEY/);
    expect(() => loadConfig({ ...base, AUDIT_SIGNING_KEY_FILE: join(dir, "missing.pem") })).toThrow(/AUDIT_SIGNING_KEY_FILE/);
    expect(() => loadConfig({ ...base, AUDIT_SIGNING_KEY: ed25519Pem(), AUDIT_SIGNING_KEY_FILE: join(dir, "key.pem") })).toThrow(/not both/);
  });
});
