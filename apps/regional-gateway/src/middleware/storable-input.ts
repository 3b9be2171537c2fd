import { AppError, apiError, findUnstorableText, unstorableTextReason } from "@s3gw/core";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";

/** Management bodies are small documents; anything larger is refused before it is buffered twice. */
export const MAX_MANAGEMENT_BODY_BYTES = 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Refuses, before any handler runs, management input the database could not store exactly:
 * NUL, lone surrogates (JSON.parse turns a "\ud800" escape into one) and invalid UTF-8, in
 * the body, the path and the query string. One check here instead of one per route: a
 * string that reaches a handler can be stored, hashed and audited as it is.
 */
export const refuseUnstorableInput = createMiddleware<AppEnv>(async (c, next) => {
  const problem = pathProblem(c) ?? queryProblem(c) ?? (await bodyProblem(c));
  if (problem) {
    if (c.var.op.operation === "Unknown") c.var.op.operation = "RefusedManagementInput";
    c.var.op.info = { reason: "unstorable_input" };
    throw apiError.badRequest(problem);
  }
  await next();
});

function rawTarget(c: Context<AppEnv>): { path: string; query: string } {
  // The socket's request target, before any URL parser could normalise or re-encode it.
  const target = c.env?.incoming?.url ?? new URL(c.req.url).pathname + new URL(c.req.url).search;
  const q = target.indexOf("?");
  return q < 0 ? { path: target, query: "" } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** Percent-decoded once; a sequence that is not UTF-8 is refused instead of being kept as literal %XX. */
function decodedProblem(raw: string, what: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return `${what} is not valid percent-encoded UTF-8`;
  }
  const reason = unstorableTextReason(decoded);
  return reason ? `${what} ${reason}` : undefined;
}

function pathProblem(c: Context<AppEnv>): string | undefined {
  for (const segment of rawTarget(c).path.split("/")) {
    const problem = decodedProblem(segment, "the path");
    if (problem) return problem;
  }
  return undefined;
}

function queryProblem(c: Context<AppEnv>): string | undefined {
  const { query } = rawTarget(c);
  if (query === "") return undefined;
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    const problem = decodedProblem(name.replaceAll("+", " "), "a query parameter name") ?? decodedProblem(value.replaceAll("+", " "), `query parameter ${safeName(name)}`);
    if (problem) return problem;
  }
  return undefined;
}

/** Names a parameter in a message only if it is harmless to echo. */
function safeName(name: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : "(unnamed)";
}

async function bodyProblem(c: Context<AppEnv>): Promise<string | undefined> {
  if (c.req.method === "GET" || c.req.method === "HEAD") return undefined;
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_MANAGEMENT_BODY_BYTES) throw tooLarge();
  // Cached by Hono: the handler's c.req.json() / text() reads these same bytes.
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength > MAX_MANAGEMENT_BODY_BYTES) throw tooLarge();
  if (bytes.byteLength === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return "request body is not valid UTF-8";
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: the route's own parser answers that; raw NUL is still refused here.
    const reason = unstorableTextReason(text);
    return reason ? `request body ${reason}` : undefined;
  }
  const found = findUnstorableText(json, "body");
  return found ? found : undefined;
}

function tooLarge(): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", 413, `management request bodies are at most ${MAX_MANAGEMENT_BODY_BYTES} bytes`);
}
