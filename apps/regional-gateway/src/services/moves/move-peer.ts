import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { AppError, apiError, INTERNAL_SIGNATURE_HEADER, REGION_ID_RE, signInternalRequest } from "@s3gw/core";
import { z } from "zod";
import type { Deps } from "../../env.ts";
import { framed } from "./move-framing.ts";

/** A control call (snapshot, batch, verify, switch) answers within this; an object's bytes get OBJECT_TIMEOUT_MS. */
const CONTROL_TIMEOUT_MS = 15_000;
const OBJECT_TIMEOUT_MS = 10 * 60_000;

type PeerDeps = Pick<Deps, "config" | "clock">;

export interface PeerRegion { regionId: string; country: string; endpoints: string[] }

const regionAnswer = z.object({ region_id: z.string().regex(REGION_ID_RE), country: z.string().length(2), endpoints: z.array(z.url()).min(1).max(64) });

/** The failure of a call to another region or the router: a 503 naming the call, never the payload. */
const unreachable = (what: string, detail: string) => new AppError("MOVE_PEER_UNAVAILABLE", 503, `${what}: ${detail}`.slice(0, 500));

function secretOf(deps: PeerDeps, what: string): string {
  const s = deps.config.gatewaySharedSecret;
  if (!s) throw apiError.unavailable(`${what}: GATEWAY_SHARED_SECRET is not configured`);
  return s;
}

/** A signed call; answers status and parsed JSON (or undefined when the body is not JSON). */
async function signedCall(deps: PeerDeps, what: string, url: URL, init: { method: string; signedText: string; body?: string | Readable; headers?: Record<string, string>; timeoutMs?: number }) {
  const signature = signInternalRequest(secretOf(deps, what), { method: init.method, path: url.pathname, body: init.signedText }, deps.clock.now().getTime() / 1000);
  const streamed = init.body instanceof Readable;
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: { [INTERNAL_SIGNATURE_HEADER]: signature, "content-type": streamed ? "application/octet-stream" : "application/json", ...init.headers },
      body: streamed ? (Readable.toWeb(init.body as Readable) as ReadableStream) : (init.body as string | undefined),
      signal: AbortSignal.timeout(init.timeoutMs ?? CONTROL_TIMEOUT_MS),
      ...(streamed ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    throw unreachable(what, e.cause?.code ?? e.cause?.message ?? e.message);
  }
  const text = await res.text().catch(() => "");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

/** The peer's error message, bounded, for the job's last_error. */
function peerMessage(json: unknown): string {
  const m = (json as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof m === "string" ? m.slice(0, 300) : "no error message";
}

/**
 * Where another region is and which country it is in, from the global router over the signed
 * channel (a region's own configuration knows only itself). Undefined for a region the router
 * does not know. Only this leaves for the router; the customer's data goes region to region.
 */
export async function lookupRegion(deps: PeerDeps, regionId: string): Promise<PeerRegion | undefined> {
  const what = `cannot look up region ${regionId} at the global router`;
  if (!deps.config.globalRouterUrl) throw apiError.unavailable(`${what}: GLOBAL_ROUTER_URL is not configured (a move needs the router to switch the routing)`);
  const url = new URL(`${deps.config.globalRouterUrl}/internal/regions/${encodeURIComponent(regionId)}`);
  const { status, json } = await signedCall(deps, what, url, { method: "GET", signedText: "" });
  if (status === 404) return undefined;
  if (status !== 200) throw unreachable(what, `the router answered ${status}`);
  const answer = regionAnswer.safeParse(json);
  if (!answer.success || answer.data.region_id !== regionId) throw unreachable(what, "the router's answer is not {region_id, country, endpoints}");
  return { regionId, country: answer.data.country, endpoints: answer.data.endpoints.map((e) => e.replace(/\/+$/, "")) };
}

/** The router's compare-and-set switch of the customer's routing from this region to `to`. */
export async function switchRouting(deps: PeerDeps, customerId: string, to: string): Promise<{ switched: boolean }> {
  const what = `cannot switch customer ${customerId}'s routing at the global router`;
  const url = new URL(`${deps.config.globalRouterUrl}/internal/routing/customers/${encodeURIComponent(customerId)}/move`);
  const body = JSON.stringify({ from_region: deps.config.region.region_id, to_region: to });
  const { status, json } = await signedCall(deps, what, url, { method: "POST", signedText: body, body });
  if (status === 409 || status === 404) throw apiError.conflict(`${what}: ${peerMessage(json)}`);
  if (status !== 200) throw unreachable(what, `the router answered ${status}: ${peerMessage(json)}`);
  return { switched: (json as { switched?: unknown }).switched === true };
}

/**
 * A JSON call to the target region's internal move API (`/internal/moves/<customer>/<action>`),
 * on its first gateway. A 4xx is the target refusing (a conflict for the job to report); anything
 * else that is not 2xx, or no answer, is the target being unavailable: the job stops, resumable.
 */
export async function callTarget(deps: PeerDeps, peer: PeerRegion, customerId: string, action: string, payload: Record<string, unknown>): Promise<unknown> {
  const what = `region ${peer.regionId} did not take ${action} of customer ${customerId}`;
  const url = new URL(`${peer.endpoints[0]}/internal/moves/${encodeURIComponent(customerId)}/${action}`);
  const body = JSON.stringify({ from_region: deps.config.region.region_id, to_region: peer.regionId, nonce: randomUUID(), ...payload });
  const { status, json } = await signedCall(deps, what, url, { method: "POST", signedText: body, body });
  return answerOf(what, status, json);
}

/** Streams one object version's plaintext to the target, its metadata (what is signed) framed before the bytes. */
export async function sendObject(deps: PeerDeps, peer: PeerRegion, customerId: string, meta: Record<string, unknown>, body: Readable): Promise<unknown> {
  const what = `region ${peer.regionId} did not take object ${String(meta.bucket)}/${String(meta.key)} (version ${String(meta.version_id)})`;
  const url = new URL(`${peer.endpoints[0]}/internal/moves/${encodeURIComponent(customerId)}/object`);
  const text = JSON.stringify({ from_region: deps.config.region.region_id, to_region: peer.regionId, nonce: randomUUID(), ...meta });
  const { status, json } = await signedCall(deps, what, url, { method: "PUT", signedText: text, body: framed(text, body), timeoutMs: OBJECT_TIMEOUT_MS });
  return answerOf(what, status, json);
}

function answerOf(what: string, status: number, json: unknown): unknown {
  if (status >= 200 && status < 300) return json;
  if (status >= 400 && status < 500) throw new AppError("MOVE_REFUSED_BY_TARGET", 409, `${what}: it answered ${status}: ${peerMessage(json)}`);
  throw unreachable(what, `it answered ${status}: ${peerMessage(json)}`);
}
