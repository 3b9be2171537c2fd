// --help at every level of the command tree, and usage errors as exit code 2. No stack needed:
// none of these may reach the network (the endpoints point at a closed port to prove it).
import type { Command } from "commander";
import { expect, it } from "vitest";
import { buildProgram } from "../src/program.ts";
import { runCli } from "./stack.ts";

const NOWHERE = { S3GW_ENDPOINT: "http://127.0.0.1:9", S3GW_REGION_URL: "http://127.0.0.1:9", S3GW_TOKEN: "t0ken-never-used" };

function paths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...paths(c, [...prefix, c.name()])]);
}

it("answers --help at every level with its usage and exit 0", async () => {
  const all = [[], ...paths(buildProgram())];
  expect(all.length).toBeGreaterThan(50);
  for (let i = 0; i < all.length; i += 4) {
    await Promise.all(
      all.slice(i, i + 4).map(async (p) => {
        const r = await runCli([...p, "--help"], NOWHERE);
        expect(r.code, `${p.join(" ")}: ${r.err}`).toBe(0);
        expect(r.out).toMatch(new RegExp(`^Usage: s3gw${p.map((s) => ` ${s}`).join("")}( |$)`, "m"));
        expect(r.err).toBe("");
      }),
    );
  }
});

it("names every management area in the top-level help, with the configuration and the exit codes", async () => {
  const r = await runCli(["--help"], NOWHERE);
  for (const area of ["routing", "customers", "access-keys", "tokens", "rules", "holds", "compliance", "notification-targets", "deliveries", "gdpr", "storage", "migrate-storage", "migrations", "audit", "keys", "health", "dashboard", "presign", "crypto-shred", "rotate-master-key", "regions", "bucket-policy"]) {
    expect(r.out).toMatch(new RegExp(`^  ${area} `, "m"));
  }
  expect(r.out).toContain("S3GW_CONFIG");
  expect(r.out).toContain("Exit codes: 0 ok, 1 the API refused (4xx), 2 usage error, 3 unreachable");
});

it("exits 2 on usage errors, with the problem on stderr and nothing on stdout", async () => {
  const cases: string[][] = [
    [],
    ["customers"],
    ["frobnicate"],
    ["customers", "get"],
    ["customers", "list", "--bogus"],
    ["customers", "list", "--limit", "0"],
    ["customers", "list", "--limit", "abc"],
    ["customers", "create", "acme"],
    ["keys", "schedule-deletion", "acme", "k1", "--days", "3"],
    ["migrate-storage", "--customer", "acme"],
    ["migrate-storage", "--to", "fi-hel-fs", "--batch-size", "5000"],
    ["rules", "put", "acme", "--file", "/nonexistent/rules.json"],
  ];
  for (const args of cases) {
    const r = await runCli(args, NOWHERE);
    expect(r.code, `${args.join(" ")}: ${r.err}`).toBe(2);
    expect(r.out, args.join(" ")).toBe("");
    expect(r.err.length, args.join(" ")).toBeGreaterThan(0);
    expect(r.err).not.toContain("cannot reach");
  }
});

it("refuses an endpoint that is not an http(s) URL and a profile that is not there (exit 2)", async () => {
  const bad = await runCli(["tokens", "list", "--endpoint", "ftp://x", "--region-endpoint", "file:///etc/passwd"], NOWHERE);
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/must be an http\(s\) URL/);
  const noProfile = await runCli(["tokens", "list", "--profile", "prod"], { ...NOWHERE, S3GW_CONFIG: "/nonexistent/s3gw.json" });
  expect(noProfile.code).toBe(2);
  expect(noProfile.err).toMatch(/profile "prod"/);
});

it("needs a token for management calls and says where to put one, without calling anything", async () => {
  const r = await runCli(["tokens", "list"], { S3GW_REGION_URL: "http://127.0.0.1:9", HOME: "/nonexistent" });
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/a token is required/);
});
