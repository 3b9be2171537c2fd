// The CLI's only way to the stack: JSON over HTTP to the global router and the regional gateways.
// Failures are classified once here, for the exit codes: 1 the API refused (4xx), 3 unreachable or 5xx.

export class ApiRefused extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Unreachable extends Error {}

export interface Endpoint {
  url: string;
  token?: string;
}

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  auth?: boolean;
  accept?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export function buildUrl(base: string, path: string, query: CallOptions["query"] = {}): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${path}`;
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

/** The path segment, percent-encoded: user input never changes the path's shape. */
export const seg = (s: string): string => encodeURIComponent(s);

/** A raw response (for text and JSON Lines bodies); errors classified as for JSON calls. */
export async function callRaw(ep: Endpoint, method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth !== false) {
    if (!ep.token) throw new UsageError("a token is required (--token, S3GW_TOKEN or a profile's \"token\")");
    headers.authorization = `Bearer ${ep.token}`;
  }
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (opts.accept) headers.accept = opts.accept;
  const target = buildUrl(ep.url, path, opts.query);
  let res: Response;
  try {
    res = await fetch(target, {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Unreachable(`cannot reach ${new URL(target).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (res.ok) return res;
  const text = await res.text();
  let json: { error?: { code?: string; message?: string } } | undefined;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    json = undefined;
  }
  const code = json?.error?.code ?? `HTTP_${res.status}`;
  const message = json?.error?.message ?? (text.trim().slice(0, 200) || res.statusText);
  const described = `${method} ${path}: ${res.status} ${code}: ${message}`;
  if (res.status >= 500) throw new Unreachable(described);
  throw new ApiRefused(res.status, code, described);
}

/** A JSON call; a 204 answers null. */
export async function call<T = unknown>(ep: Endpoint, method: string, path: string, opts: CallOptions = {}): Promise<T> {
  const res = await callRaw(ep, method, path, opts);
  if (res.status === 204) return null as T;
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Unreachable(`${method} ${path}: ${res.status} with a body that is not JSON`);
  }
}

export class UsageError extends Error {}
