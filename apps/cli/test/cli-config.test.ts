// Where the CLI takes its endpoint and token from: flags over the environment over the profile file.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ADMIN_TOKEN, type CliStack, runCli, startCliStack } from "./stack.ts";

const WRONG = "not-the-token-8c41d2";
let stack: CliStack;
let home: string;
let base: Record<string, string>;

const ids = (out: string) => (JSON.parse(out) as { items: { customer_id: string }[] }).items.map((c) => c.customer_id);

beforeAll(async () => {
  stack = await startCliStack();
  home = await mkdtemp(join(tmpdir(), "s3gw-cli-home-"));
  await mkdir(join(home, ".config", "s3gw"), { recursive: true });
  const profiles = {
    default_profile: "fi",
    profiles: {
      fi: { endpoint: stack.global.url, region_url: stack.fi.url, token: ADMIN_TOKEN },
      de: { endpoint: stack.global.url, region: "DE-FRA", token: ADMIN_TOKEN },
      wrong: { endpoint: stack.global.url, region_url: stack.fi.url, token: WRONG },
    },
  };
  await writeFile(join(home, ".config", "s3gw", "config.json"), JSON.stringify(profiles), { mode: 0o600 });
  base = { HOME: home };
  const common = ["--country", "FI", "--residency", "flexible", "--contact-email", "a@b.example", "--officer-email", "c@d.example"];
  const env = { HOME: home };
  expect((await runCli(["customers", "create", "fi-co", "--home", "FI-HEL", "--name", "FI Co", ...common], env)).code).toBe(0);
  expect((await runCli(["customers", "create", "de-co", "--home", "DE-FRA", "--name", "DE Co", ...common], env)).code).toBe(0);
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await rm(home, { recursive: true, force: true });
});

it("uses ~/.config/s3gw/config.json's default profile when nothing else is set", async () => {
  const r = await runCli(["--json", "customers", "list"], base);
  expect(r.code, r.err).toBe(0);
  expect(ids(r.out)).toEqual(["fi-co"]);
});

it("picks a profile by --profile or S3GW_PROFILE; a profile's region id is looked up in the router's registry", async () => {
  expect(ids((await runCli(["--json", "--profile", "de", "customers", "list"], base)).out)).toEqual(["de-co"]);
  expect(ids((await runCli(["--json", "customers", "list"], { ...base, S3GW_PROFILE: "de" })).out)).toEqual(["de-co"]);
  const wrong = await runCli(["--profile", "wrong", "customers", "list"], base);
  expect(wrong.code).toBe(1);
  expect(wrong.err).not.toContain(WRONG);
  const unknown = await runCli(["--profile", "nope", "customers", "list"], base);
  expect(unknown.code).toBe(2);
});

it("takes the environment over the profile, and flags over the environment", async () => {
  // token: env over profile, flag over env
  expect((await runCli(["--profile", "wrong", "customers", "list"], { ...base, S3GW_TOKEN: ADMIN_TOKEN })).code).toBe(0);
  expect((await runCli(["customers", "list"], { ...base, S3GW_TOKEN: WRONG })).code).toBe(1);
  expect((await runCli(["customers", "list", "--token", ADMIN_TOKEN], { ...base, S3GW_TOKEN: WRONG })).code).toBe(0);
  // region: env URL over the profile's region id; --region over the env URL; --region-endpoint over both
  expect(ids((await runCli(["--json", "--profile", "de", "customers", "list"], { ...base, S3GW_REGION_URL: stack.fi.url })).out)).toEqual(["fi-co"]);
  expect(ids((await runCli(["--json", "--region", "DE-FRA", "customers", "list"], { ...base, S3GW_REGION_URL: stack.fi.url })).out)).toEqual(["de-co"]);
  expect(ids((await runCli(["--json", "--region-endpoint", stack.fi.url, "customers", "list"], { ...base, S3GW_REGION: "DE-FRA" })).out)).toEqual(["fi-co"]);
  // endpoint: a flag over the profile's (a closed router is unreachable: exit 3)
  expect((await runCli(["routing", "get", "fi-co"], base)).code).toBe(0);
  expect((await runCli(["routing", "get", "fi-co"], { ...base, S3GW_ENDPOINT: "http://127.0.0.1:1" })).code).toBe(3);
  expect((await runCli(["routing", "get", "fi-co", "--endpoint", stack.global.url], { ...base, S3GW_ENDPOINT: "http://127.0.0.1:1" })).code).toBe(0);
  const noRegion = await runCli(["--region", "XX-NOPE", "customers", "list"], base);
  expect(noRegion.code).toBe(2);
  expect(noRegion.err).toMatch(/no region XX-NOPE in the global registry \(DE-FRA, FI-HEL\)/);
});

it("reads S3GW_CONFIG instead of the default file, and refuses a malformed one (exit 2)", async () => {
  const other = join(home, "other.json");
  await writeFile(other, JSON.stringify({ profiles: { default: { region: "DE-FRA", endpoint: stack.global.url, token: ADMIN_TOKEN } } }));
  expect(ids((await runCli(["--json", "customers", "list"], { ...base, S3GW_CONFIG: other })).out)).toEqual(["de-co"]);
  await writeFile(other, "{ not json");
  const broken = await runCli(["customers", "list"], { ...base, S3GW_CONFIG: other });
  expect(broken.code).toBe(2);
  expect(broken.err).toMatch(/is not valid JSON/);
  await writeFile(other, JSON.stringify({ profiles: { default: { token: 42 } } }));
  expect((await runCli(["customers", "list"], { ...base, S3GW_CONFIG: other })).code).toBe(2);
});
