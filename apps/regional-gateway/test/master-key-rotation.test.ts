import { MasterKeyRing } from "@s3gw/core";
import type postgres from "postgres";
import { postgresClient } from "@s3gw/db";
import { afterAll, beforeAll, expect, it } from "vitest";
import { adminAuth, register, startTestRegion, TEST_MASTER_KEYS, type TestRegion } from "./harness.ts";

let fi: TestRegion;
let sql: postgres.Sql;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  await register(fi.url, "rotating", { country: "FI", data_residency_requirement: "jurisdiction" });
});
afterAll(async () => {
  await sql?.end();
  await fi?.destroy();
});

it("re-seals customer-bucket credentials along with access-key secrets", async () => {
  const put = await fetch(`${fi.url}/api/customers/rotating/storage`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...adminAuth },
    body: JSON.stringify({ provider_label: "minio", endpoint: "http://127.0.0.1:9", bucket: "rotating", region: "eu-central-1", country: "DE", access_key_id: "AKIDEXAMPLE", secret_access_key: "bucket-secret-0123456789", session_token: "session-token-0123456789" }),
  });
  expect(put.status).toBe(200);
  const before = (await put.json()) as { target: { secret_fingerprint: string } };
  const [sealed] = await sql`select secret_ciphertext, session_token_ciphertext from storage_targets`;
  expect(sealed!.secret_ciphertext).toMatch(/^v1\.test-k1\./);

  fi.deps.config.masterKeys = MasterKeyRing.parse(`${TEST_MASTER_KEYS},k2:${Buffer.alloc(32, 9).toString("base64")}`, "k2");
  const res = await fetch(`${fi.url}/api/access-keys/rotate-master-key`, { method: "POST", headers: adminAuth });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ active_key_id: "k2", storage_targets: { re_encrypted: 1, unreadable: [], total: 1 } });
  const [resealed] = await sql`select secret_ciphertext, session_token_ciphertext from storage_targets`;
  expect(resealed!.secret_ciphertext).toMatch(/^v1\.k2\./);
  expect(resealed!.session_token_ciphertext).toMatch(/^v1\.k2\./);

  // Only the new key is needed from now on, and the secret is the same one.
  fi.deps.config.masterKeys = MasterKeyRing.parse(`k2:${Buffer.alloc(32, 9).toString("base64")}`);
  const ring = fi.deps.config.masterKeys;
  const [row] = await sql`select target_id from storage_targets`;
  expect(ring.open(resealed!.secret_ciphertext, row!.target_id)).toBe("bucket-secret-0123456789");
  const view = (await (await fetch(`${fi.url}/api/customers/rotating/storage`, { headers: adminAuth })).json()) as { target: { secret_fingerprint: string } };
  expect(view.target.secret_fingerprint).toBe(before.target.secret_fingerprint);
});
