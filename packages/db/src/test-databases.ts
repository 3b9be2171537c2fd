import { postgresClient } from "./postgres-client.ts";

/** The Postgres server tests use; override with TEST_DATABASE_URL. */
export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

/**
 * Creates a fresh, uniquely named database on the test server and returns its URL plus a
 * drop function. Each app in a test gets its own, as each region has its own in production.
 */
export async function createTestDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(adminUrl());
  const name = `s3gw_test_${label.toLowerCase().replace(/[^a-z0-9]/g, "_")}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const admin = postgresClient(base.toString(), { max: 1 });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgresClient(base.toString(), { max: 1 });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
