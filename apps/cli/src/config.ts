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
  if (typeof profile !== "object") throw new UsageError(`profile "${name}" in ${path} is not an object`);
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
    const token = flags.token ?? env.S3GW_TOKEN ?? profile.token;
    this.global = { url: checkedUrl(flags.endpoint ?? env.S3GW_ENDPOINT ?? profile.endpoint ?? DEFAULT_ENDPOINT, "the endpoint"), token };
    const regionUrl = flags.regionEndpoint ?? env.S3GW_REGION_URL;
    this.regionId = flags.region ?? (regionUrl ? undefined : env.S3GW_REGION);
    // A region named by flag or environment wins over a profile's region URL.
    this.regionUrl = regionUrl ?? (this.regionId ? undefined : profile.region_url);
    if (!this.regionUrl && !this.regionId) this.regionId = profile.region;
    if (this.regionUrl) this.regionUrl = checkedUrl(this.regionUrl, "the region endpoint");
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
