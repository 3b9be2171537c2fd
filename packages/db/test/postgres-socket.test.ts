// DATABASE_URL may name a Unix socket the way libpq does (`?host=/var/run/postgresql`); the
// gateway then talks to a database on its own machine without loopback TCP.
import { existsSync } from "node:fs";
import { expect, it } from "vitest";
import { postgresClient, socketOf } from "../src/postgres-client.ts";
import { adminUrl } from "../src/test-databases.ts";

const SOCKET_DIR = process.env.TEST_PG_SOCKET_DIR ?? "/var/run/postgresql";

it("socketOf reads libpq's host=/dir parameter, and leaves every other URL alone", () => {
  expect(socketOf("postgres://u@127.0.0.1:5433/db?host=/run/pg")).toEqual({ url: "postgres://u@127.0.0.1:5433/db", path: "/run/pg/.s.PGSQL.5433" });
  expect(socketOf("postgres://u@h/db?host=%2Frun%2Fpg%2F&application_name=x")).toEqual({ url: "postgres://u@h/db?application_name=x", path: "/run/pg/.s.PGSQL.5432" });
  // A host that is not a directory is not a socket; a URL that does not parse is postgres.js's to refuse.
  expect(socketOf("postgres://u@h/db?host=db.example")).toEqual({ url: "postgres://u@h/db?host=db.example" });
  expect(socketOf("not a url")).toEqual({ url: "not a url" });
});

it.runIf(existsSync(SOCKET_DIR))("a socket URL connects over the Unix socket, not TCP", async () => {
  const url = new URL(adminUrl());
  url.searchParams.set("host", SOCKET_DIR);
  const sql = postgresClient(url.toString(), { max: 1 });
  try {
    const [row] = await sql<{ addr: string | null }[]>`select inet_server_addr()::text as addr`;
    expect(row!.addr).toBeNull(); // null: the session came over a Unix socket
  } finally {
    await sql.end({ timeout: 1 });
  }
});
