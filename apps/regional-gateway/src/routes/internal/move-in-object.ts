import { apiError } from "@s3gw/core";
import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation } from "../../middleware/auth.ts";
import { verifyRegionCall } from "../../middleware/region-signature.ts";
import { parseInput } from "../../services/paging.ts";
import { ByteSlices } from "../../services/moves/byte-slices.ts";
import { readFramedMeta } from "../../services/moves/move-framing.ts";
import { assertReceiving } from "../../services/moves/move-in-guard.ts";
import { receiveObject } from "../../services/moves/move-in-object.ts";
import { objectWire } from "../../services/moves/move-wire.ts";
import { customerParamOf } from "./move-params.ts";

/**
 * One object version from the source region (PUT; the body is its framed metadata, which the
 * signature covers, then its plaintext). Acknowledged only after the bytes' SHA-256 matched on
 * arrival and read back from storage, and the metadata committed (move-in-object.ts).
 */
export function moveInObjectRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.put("/:id/object", operation("MoveInObject"), async (c) => {
    const { deps, op } = c.var;
    const id = customerParamOf(c);
    const body = new ByteSlices(c.env.incoming);
    const text = await readFramedMeta(body);
    await verifyRegionCall(c, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw apiError.badRequest("the object's metadata must be JSON");
    }
    const meta = parseInput(objectWire, json, "metadata");
    op.principal = `region:${meta.from_region}`;
    op.bucket = meta.bucket;
    op.key = meta.key;
    await assertReceiving(deps, id, meta);
    const done = await receiveObject(deps, id, meta, body);
    op.bytes = done.stored ? meta.size : 0;
    op.info = { from_region: meta.from_region, version_id: meta.version_id, sha256: meta.sha256, stored: done.stored };
    return c.json({ ...done, version_id: meta.version_id }, done.stored ? 201 : 200);
  });
  return r;
}
