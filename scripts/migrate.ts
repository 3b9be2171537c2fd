// `npm run migrate`: applies one app's database migrations with the current environment.
//   DATABASE_URL=postgres://... npm run migrate -- global
//   DATABASE_URL=postgres://... REGION_ID=FI-HEL npm run migrate -- region
// Without an argument the target follows REGION_ID: set → region, unset → global.
// PGLITE_DIR may stand in for DATABASE_URL (an embedded database directory).
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = `usage: npm run migrate -- [global|region]
  global: DATABASE_URL=postgres://... npm run migrate -- global
  region: DATABASE_URL=postgres://... REGION_ID=FI-HEL npm run migrate -- region
  (PGLITE_DIR=<dir> may replace DATABASE_URL; without an argument, REGION_ID picks region)`;

const args = process.argv.slice(2).filter((a) => a !== "--");
const target = args[0] ?? (process.env.REGION_ID ? "region" : "global");
if (args.length > 1 || !["global", "region"].includes(target)) {
  console.error(USAGE);
  process.exit(args[0] === "-h" || args[0] === "--help" ? 0 : 2);
}
if (!process.env.DATABASE_URL && !process.env.PGLITE_DIR) {
  console.error(`DATABASE_URL (or PGLITE_DIR) must be set.\n${USAGE}`);
  process.exit(2);
}
if (target === "region" && !process.env.REGION_ID) {
  console.error(`REGION_ID must be set to migrate a regional database.\n${USAGE}`);
  process.exit(2);
}

const app = target === "global" ? "global-router" : "regional-gateway";
const result = spawnSync(process.execPath, [join(ROOT, "apps", app, "src", "migrate.ts")], { cwd: ROOT, stdio: "inherit" });
if (result.error) console.error(`could not run apps/${app}/src/migrate.ts: ${result.error.message}`);
process.exit(result.status ?? 1);
