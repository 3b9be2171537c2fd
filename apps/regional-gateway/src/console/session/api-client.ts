import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import type { ConsoleEnv } from "./env.ts";

/** An API answer: the parsed JSON body (or the text, for a non-JSON answer). */
export interface ApiResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiCallOptions {
  /** Extra request headers (e.g. `x-customer-id` for the routes that take it). */
  headers?: Record<string, string>;
}

/** The API refused the session's token (revoked meanwhile): the console signs the user out. */
export class ConsoleSignedOut extends Error {
  constructor() {
    super("the API refused this session's token");
  }
}

/**
 * The console's client of the region's own JSON API, in-process: each call goes through the
 * whole app (roles, scope, validation, audit) with the signed-in user's bearer token and the
 * page's request id, so the API's audit rows link to the page that caused them.
 */
export function consoleApi(c: Context<ConsoleEnv>) {
  const { session, appFetch, requestId } = c.var;

  async function raw(method: string, path: string, body?: unknown, opts: ApiCallOptions = {}): Promise<Response> {
    if (!path.startsWith("/api/") && !path.startsWith("/ops/") && path !== "/health") throw new Error(`consoleApi: not an API path: ${path}`);
    const headers: Record<string, string> = {
      accept: "application/json",
      authorization: `Bearer ${session.token}`,
      "x-request-id": requestId,
      ...opts.headers,
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    const request = new Request(new URL(path, c.req.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const res = await appFetch(request, inProcessBindings(c, path));
    if (res.status === 401) {
      await res.body?.cancel();
      throw new ConsoleSignedOut();
    }
    return res;
  }

  async function call<T>(method: string, path: string, body?: unknown, opts?: ApiCallOptions): Promise<ApiResult<T>> {
    const res = await raw(method, path, body, opts);
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get("content-type") ?? "").includes("json") && text !== "") parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  return {
    get: <T = any>(path: string, opts?: ApiCallOptions) => call<T>("GET", path, undefined, opts),
    post: <T = any>(path: string, body?: unknown, opts?: ApiCallOptions) => call<T>("POST", path, body ?? {}, opts),
    put: <T = any>(path: string, body?: unknown, opts?: ApiCallOptions) => call<T>("PUT", path, body ?? {}, opts),
    patch: <T = any>(path: string, body?: unknown, opts?: ApiCallOptions) => call<T>("PATCH", path, body ?? {}, opts),
    del: <T = any>(path: string, body?: unknown, opts?: ApiCallOptions) => call<T>("DELETE", path, body, opts),
    /** The raw answer, for downloads (exports) that the page streams through. */
    raw,
  };
}

export type ConsoleApi = ReturnType<typeof consoleApi>;

/**
 * The node bindings the API sees: the browser's socket (its address goes in the audit row) and
 * the API call's own target (the edge and input checks read the raw target from `incoming.url`).
 */
export function inProcessBindings(c: Pick<Context<ConsoleEnv>, "env">, path: string): AppEnv["Bindings"] {
  const incoming = { url: path, socket: c.env?.incoming?.socket, headers: {}, headersDistinct: {} } as unknown as IncomingMessage;
  return { incoming, outgoing: undefined } as unknown as AppEnv["Bindings"];
}
