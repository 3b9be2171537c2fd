import { signInternalRequest } from "@s3gw/core";
import { ADMIN_TOKEN, TEST_GATEWAY_SECRET } from "../../../apps/regional-gateway/test/harness.ts";
import type { RegionId } from "../../support/stack.ts";
import type { Fixtures } from "./fixtures.ts";
import type { Framing, FuzzRequest } from "./http.ts";
import type { MgmtRoute } from "./management-routes.ts";
import { bogusHeaders, mutateJson, mutatePath, mutateQuery } from "./mutate.ts";
import type { Rng } from "./rng.ts";

const METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"];

function bearer(rng: Rng, fx: Fixtures, region: RegionId, mutations: string[]): string | undefined {
  const r = rng.next();
  if (r < 0.66) return `Bearer ${ADMIN_TOKEN}`;
  if (r < 0.74) {
    mutations.push("auditor token");
    return `Bearer ${fx.tokens[region].auditor}`;
  }
  if (r < 0.82) {
    mutations.push("officer token");
    return `Bearer ${rng.chance(0.8) ? fx.tokens[region].officer : fx.tokens[rng.pick(["FI-HEL", "DE-FRA", "US-EAST"] as RegionId[])].officer}`;
  }
  if (r < 0.87) {
    mutations.push("no token");
    return undefined;
  }
  const bad = rng.pick(["Bearer ", "Bearer garbage", `Bearer ${ADMIN_TOKEN}x`, `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, `bearer ${ADMIN_TOKEN}`, `Bearer  ${ADMIN_TOKEN}`, `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString("base64")}`, `Bearer ${"A".repeat(8000)}`, "Bearer s3gw_\u00ff\u00fe", `Bearer ${ADMIN_TOKEN}, Bearer x`, "AWS4-HMAC-SHA256 Credential=x/y/z"]);
  mutations.push(`bad token ${bad.slice(0, 16)}`);
  return bad;
}

/** One request for one management route, mutated as the dice say. */
export function buildMgmtRequest(rng: Rng, fx: Fixtures, route: MgmtRoute, index: number): FuzzRequest {
  const mutations: string[] = [];
  const shape = route.build(rng, fx);
  // Mostly the layer that serves the route; sometimes the other one (a management path on the
  // wrong layer must be a clean 4xx, never proxied S3 or a crash).
  let layer: string = route.home === "global" ? "global" : shape.region;
  if (rng.chance(0.08)) {
    layer = route.home === "global" ? rng.pick(["FI-HEL", "DE-FRA", "US-EAST"]) : "global";
    mutations.push("other layer");
  }
  const base = layer === "global" ? fx.global : fx.regions[layer as RegionId];
  let method = route.method;
  if (rng.chance(0.06)) {
    method = rng.pick(METHODS);
    mutations.push(`method ${method}`);
  }
  let path = shape.path;
  if (rng.chance(0.2)) {
    const m = mutatePath(rng, path);
    path = m.path;
    mutations.push(`path: ${m.what}`);
  }
  let query = shape.query ?? "";
  if (rng.chance(0.2)) {
    const m = mutateQuery(rng, query);
    query = m.query;
    mutations.push(`query: ${m.what}`);
  }
  let body: Buffer = shape.body ? Buffer.from(JSON.stringify(shape.body)) : Buffer.alloc(0);
  if (rng.chance(shape.body ? 0.45 : 0.08)) {
    const m = mutateJson(rng, shape.body ?? {}, shape.keep);
    body = m.body;
    mutations.push(`json: ${m.what}`);
  }
  const headers: Record<string, string> = { ...shape.headers };
  if (body.length > 0 || rng.chance(0.3)) headers["content-type"] = rng.chance(0.9) ? "application/json" : rng.pick(["text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "multipart/form-data; boundary=x", ""]);
  if (route.internal) {
    const sigPath = path.split("?")[0]!;
    if (rng.chance(0.6)) headers["x-s3gw-internal-signature"] = signInternalRequest(TEST_GATEWAY_SECRET, { method, path: sigPath, body: body.toString("utf8") }, Date.now() / 1000 + (rng.chance(0.1) ? -600 : 0));
    else headers["x-s3gw-internal-signature"] = rng.pick(["", "t=1,v1=00", `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}`, "garbage", `t=99999999999,v1=${"f".repeat(64)}`]);
    mutations.push("internal signature");
  } else {
    const auth = bearer(rng, fx, shape.region, mutations);
    if (auth !== undefined) headers.authorization = auth;
  }
  if (rng.chance(0.12)) {
    const m = bogusHeaders(rng);
    Object.assign(headers, m.headers);
    mutations.push(m.what);
  }
  const f = rng.next();
  const framing: Framing = f < 0.88 ? "length" : f < 0.93 ? "chunked" : f < 0.96 ? "expect" : rng.pick(["cl-short", "cl-long", "te+cl"]);
  if (framing !== "length") mutations.push(`framing ${framing}`);
  return { index, layer, route: route.name, mutations, method, target: query === "" ? path : `${path}?${query}`, headers, body, framing };
}
