// Command-line flags of `npm start` (scripts/start-stack.ts), as an alternative to its environment
// variables: a flag wins over the variable it stands for. Imported first by start-stack.ts, it
// writes the flags into process.env, so the launcher reads one set of settings either way.
//   npm start -- --help | --port-base 9000 | --data-dir /tmp/s3gw-data | --log-level debug …
import { parseArgs } from "node:util";

const USAGE = `usage: npm start -- [options]

Starts the embedded stack: the global router and the FI-HEL, DE-FRA and US-EAST regional
gateways in one process (about 1 GiB resident), with their data under the data directory.

options (each also as the environment variable in brackets; a flag wins):
  --data-dir <dir>            where databases, objects and the stack's secrets live [DATA_DIR] (./data)
  --port-base <port>          global router on <port>, the regions on the next three [PORT_BASE] (8000)
  --global-port <port>        the global router's port [GLOBAL_PORT] (8000)
  --fi-hel-port <port>        FI-HEL's port [FI_HEL_PORT] (8001)
  --de-fra-port <port>        DE-FRA's port [DE_FRA_PORT] (8002)
  --us-east-port <port>       US-EAST's port [US_EAST_PORT] (8003)
  --log-level <level>         the apps' log level: fatal, error, warn, info, debug, trace, silent [LOG_LEVEL] (info)
  --health-timeout-ms <ms>    how long to wait for all four to be healthy [HEALTH_TIMEOUT_MS] (60000)
  -h, --help                  this text
Other settings (ADMIN_TOKEN, TRUSTED_CUSTOMER_HEADER, …) are read from the environment; see README.md.`;

const PORT_VARS = ["GLOBAL_PORT", "FI_HEL_PORT", "DE_FRA_PORT", "US_EAST_PORT"] as const;
const FLAG_VARS: Record<string, string> = {
  "data-dir": "DATA_DIR",
  "global-port": "GLOBAL_PORT",
  "fi-hel-port": "FI_HEL_PORT",
  "de-fra-port": "DE_FRA_PORT",
  "us-east-port": "US_EAST_PORT",
  "log-level": "LOG_LEVEL",
  "health-timeout-ms": "HEALTH_TIMEOUT_MS",
};

function usageError(message: string): never {
  process.stderr.write(`[stack] ${message}\n${USAGE}\n`);
  process.exit(2);
}

function portBase(raw: string, from: string): number {
  const base = Number(raw);
  if (!Number.isInteger(base) || base < 1 || base > 65532) usageError(`${from}=${raw} is not a port number from 1 to 65532.`);
  return base;
}

/** Applies the command line to the environment; exits with the usage on --help (0) or a bad flag (2). */
export function applyStartArgs(argv: string[], env: NodeJS.ProcessEnv): void {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        "port-base": { type: "string" },
        ...Object.fromEntries(Object.keys(FLAG_VARS).map((k) => [k, { type: "string" as const }])),
      },
    }));
  } catch (err) {
    usageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const flagBase = values["port-base"] as string | undefined;
  if (flagBase !== undefined) {
    const base = portBase(flagBase, "--port-base");
    PORT_VARS.forEach((name, i) => (env[name] = String(base + i)));
  } else if (env.PORT_BASE) {
    const base = portBase(env.PORT_BASE, "PORT_BASE");
    PORT_VARS.forEach((name, i) => (env[name] ||= String(base + i)));
  }
  for (const [flag, name] of Object.entries(FLAG_VARS)) {
    const v = values[flag];
    if (typeof v === "string") {
      if (v === "") usageError(`--${flag} needs a value.`);
      env[name] = v;
    }
  }
}

applyStartArgs(process.argv.slice(2), process.env);
