// The s3gw command tree. Every command talks only to the HTTP APIs of the global router and the
// regional gateways; none opens a database.
import { Command } from "commander";
import { accessKeyCommands } from "./commands/access-keys.ts";
import { auditCommands } from "./commands/audit.ts";
import { complianceCommands } from "./commands/compliance.ts";
import { customerCommands } from "./commands/customers.ts";
import { gdprCommands } from "./commands/gdpr.ts";
import { healthCommands } from "./commands/health.ts";
import { keyCommands } from "./commands/keys.ts";
import { migrationCommands } from "./commands/migrate-storage.ts";
import { notificationCommands } from "./commands/notifications.ts";
import { opsCommands } from "./commands/ops.ts";
import { registryCommands } from "./commands/registry.ts";
import { routingCommands } from "./commands/routing.ts";
import { holdCommands, ruleCommands } from "./commands/rules.ts";
import { storageCommands } from "./commands/storage.ts";
import { tokenCommands } from "./commands/tokens.ts";

const CONFIG_HELP = `
Configuration (the first that is set wins):
  endpoint         --endpoint, S3GW_ENDPOINT, the profile's "endpoint"      (default http://127.0.0.1:8000)
  regional gateway --region-endpoint, S3GW_REGION_URL, --region/S3GW_REGION (looked up in the router's
                   /regions), the profile's "region_url" or "region"          (default http://127.0.0.1:8001)
  token            --token, S3GW_TOKEN, the profile's "token"
  profile file     S3GW_CONFIG, else ~/.config/s3gw/config.json:
                   {"default_profile":"local","profiles":{"local":{"endpoint":"…","region":"FI-HEL","token":"…"}}}
                   --profile or S3GW_PROFILE picks another profile.

Exit codes: 0 ok, 1 the API refused (4xx), 2 usage error, 3 unreachable or a server error (5xx).`;

export function buildProgram(): Command {
  const program = new Command("s3gw");
  program
    .description("Admin CLI of the S3 residency gateway: routing, customers, keys, tokens, compliance, audit and health over the HTTP APIs")
    .option("--endpoint <url>", "the global router")
    .option("--region-endpoint <url>", "the regional gateway")
    .option("--region <id>", "the regional gateway of this region, from the global registry (e.g. FI-HEL)")
    .option("--token <token>", "bearer token (prefer S3GW_TOKEN or a profile: flags show in the process list)")
    .option("--profile <name>", "profile of the profile file")
    .option("--json", "print the API's JSON as it answered")
    .addHelpText("after", CONFIG_HELP)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showHelpAfterError("(add --help for usage)");
  routingCommands(program);
  customerCommands(program);
  accessKeyCommands(program);
  tokenCommands(program);
  ruleCommands(program);
  holdCommands(program);
  complianceCommands(program);
  notificationCommands(program);
  gdprCommands(program);
  storageCommands(program);
  migrationCommands(program);
  auditCommands(program);
  keyCommands(program);
  healthCommands(program);
  opsCommands(program);
  registryCommands(program);
  return program;
}
