import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** The Debian-packaged clients the compatibility suite drives (installed by .ci/run). */
export const CLIENT_BINARIES = {
  "aws cli": "/usr/bin/aws",
  boto3: "/usr/bin/python3",
  s3cmd: "/usr/bin/s3cmd",
  rclone: "/usr/bin/rclone",
} as const;

export type ClientName = keyof typeof CLIENT_BINARIES;

export function clientAvailable(name: ClientName): boolean {
  const bin = CLIENT_BINARIES[name];
  if (!existsSync(bin)) return false;
  // python3 exists almost everywhere; python3-boto3 may not.
  return name !== "boto3" || spawnSync(bin, ["-c", "import boto3"], { stdio: "ignore" }).status === 0;
}

export interface Credentials { accessKeyId: string; secretAccessKey: string }

/** Environment overrides; null removes a variable the machine sets (e.g. AWS_CA_BUNDLE, which rclone cannot use on plain HTTP). */
export type EnvOverrides = Record<string, string | null>;

function childEnv(overrides: EnvOverrides): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs a client command; rejects with its output for diagnosis. */
export async function runClient(cmd: string, args: string[], env: EnvOverrides = {}, cwd?: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, { env: childEnv(env), cwd, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** Like runClient, for commands whose output is binary. */
export async function runClientRaw(cmd: string, args: string[], env: EnvOverrides = {}): Promise<Buffer> {
  try {
    const { stdout } = await execFileAsync(cmd, args, { env: childEnv(env), encoding: "buffer", maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.message}\n${e.stderr?.toString() ?? ""}`);
  }
}
