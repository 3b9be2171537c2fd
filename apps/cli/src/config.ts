// Where the CLI finds the stack and its token: flags, else the environment, else a profile file
// (S3GW_CONFIG, else ~/.config/s3gw/config.json):
//   { "default_profile": "local",
//     "profiles": { "local": { "endpoint": "http://127.0.0.1:8000", "region_url": "http://127.0.0.1:8001",
//                              "region": "FI-HEL", "token": "…" } } }
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { call, type Endpoint, UsageError } from "./http.ts";

export interface GlobalFlags {
  endpoint?: string;
  regionEndpoint?: string;
  region?: string;
  token?: string;
  profile?: string;
  json?: boolean;
}

interface Profile {
  endpoint?: string;
  region_url?: string;
  region?: string;
  token?: string;
}

export const DEFAULT_ENDPOINT = "http://127.0.0.1:8000";
export const DEFAULT_REGION_URL = "http://127.0.0.1:8001";

export function configPath(env: NodeJS.ProcessEnv): string {
  return env.S3GW_CONFIG || join(env.HOME || homedir(), ".config", "s3gw", "config.json");
}

function readProfile(flags: GlobalFlags, env: NodeJS.ProcessEnv): Profile {
  const path = configPath(env);
  const wanted = flags.profile ?? env.S3GW_PROFILE;
  if (!existsSync(path)) {
    if (wanted) throw new UsageError(`profile "${wanted}" asked for, but there is no profile file at ${path}`);
    return {};
  }
  let file: { default_profile?: unknown; profiles?: Record<string, Profile> };
  try {
    file = JSON.parse(readFileSync(path, "utf8")) as typeof file;
  } catch (err) {
    throw new UsageError(`the profile file ${path} is not valid JSON (${(err as Error).message})`);
  }
  const name = wanted ?? (typeof file.default_profile === "string" ? file.default_profile : "default");
  const profile = file.profiles?.[name];
  if (!profile) {
    if (wanted) throw new UsageError(`no profile "${name}" in ${path}`);
    return {};
  }
  if (typeof profile !== "object" || Array.isArray(profile)) throw new UsageError(`profile "${name}" in ${path} is not an object`);
  for (const field of ["endpoint", "region_url", "region", "token"] as const) {
    if (profile[field] !== undefined && typeof profile[field] !== "string") throw new UsageError(`"${field}" of profile "${name}" in ${path} must be a string`);
  }
  return profile;
}

function checkedUrl(raw: string, what: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
    return raw.replace(/\/+$/, "");
  } catch {
    throw new UsageError(`${what} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
}

/** The resolved configuration: each setting from the first place that has it. */
export class Settings {
  readonly global: Endpoint;
  private readonly regionUrl: string | undefined;
  private readonly regionId: string | undefined;

  constructor(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env) {
    const profile = readProfile(flags, env);
    const token = flags.token ?? (env.S3GW_TOKEN || undefined) ?? profile.token;
    this.global = { url: checkedUrl(flags.endpoint ?? (env.S3GW_ENDPOINT || undefined) ?? profile.endpoint ?? DEFAULT_ENDPOINT, "the endpoint"), token };
    // The regional gateway: a URL or a region id (looked up in the registry), from the first
    // place that names either: flags, then the environment, then the profile.
    const sources: [url: string | undefined, id: string | undefined][] = [
      [flags.regionEndpoint, flags.region],
      [env.S3GW_REGION_URL || undefined, env.S3GW_REGION || undefined],
      [profile.region_url, profile.region],
    ];
    const [url, id] = sources.find(([u, i]) => u !== undefined || i !== undefined) ?? [undefined, undefined];
    this.regionUrl = url === undefined ? undefined : checkedUrl(url, "the region endpoint");
    this.regionId = url === undefined ? id : undefined;
  }

  get token(): string | undefined {
    return this.global.token;
  }

  /** The regional gateway to talk to: its URL, or the endpoint the global registry names for a region id. */
  async region(regionId?: string): Promise<Endpoint> {
    const id = regionId ?? this.regionId;
    if (!regionId && this.regionUrl) return { url: this.regionUrl, token: this.token };
    if (!id) return { url: DEFAULT_REGION_URL, token: this.token };
    const { regions } = await call<{ regions: { region_id: string; gateway_endpoint: string }[] }>(this.global, "GET", "/regions", { auth: false });
    const found = regions.find((r) => r.region_id === id.toUpperCase());
    if (!found) throw new UsageError(`no region ${id} in the global registry (${regions.map((r) => r.region_id).join(", ")})`);
    return { url: found.gateway_endpoint, token: this.token };
  }
}
