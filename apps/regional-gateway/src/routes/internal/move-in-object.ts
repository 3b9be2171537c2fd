import { apiError } from "@s3gw/core";
import { Hono, type Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation } from "../../middleware/auth.ts";
import { requireRegionSignature } from "../../middleware/region-signature.ts";
import { parseInput } from "../../services/paging.ts";
import { assertReceiving } from "../../services/moves/move-in-guard.ts";
import { receiveObject } from "../../services/moves/move-in-object.ts";
import { MOVE_OBJECT_HEADER } from "../../services/moves/move-peer.ts";
import { objectWire } from "../../services/moves/move-wire.ts";
import { customerParamOf } from "./move-params.ts";

/** A header beyond this is no object's metadata (S3 keys 1 KiB, metadata 2 KiB, parts aside). */
const META_MAX_BYTES = 2 * 1024 * 1024;

/** The metadata header's JSON text: what the signature covers (the bytes are covered by its SHA-256). */
async function metaText(c: Context<AppEnv>): Promise<string> {
  const raw = c.req.header(MOVE_OBJECT_HEADER);
  if (!raw) throw apiError.badRequest(`the ${MOVE_OBJECT_HEADER} header (base64 JSON of the version's metadata) is required`);
  if (raw.length > META_MAX_BYTES) throw apiError.badRequest(`the ${MOVE_OBJECT_HEADER} header is too large`);
  return Buffer.from(raw, "base64").toString("utf8");
}

/**
 * One object version's bytes from the source region (PUT, body = plaintext, metadata signed in
 * a header). Acknowledged only after the bytes' SHA-256 matched on arrival and read back from
 * storage, and the metadata committed (move-in-object.ts).
 */
export function moveInObjectRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.put("/:id/object", operation("MoveInObject"), requireRegionSignature(metaText), async (c) => {
    const { deps, op } = c.var;
    const id = customerParamOf(c);
    let json: unknown;
    try {
      json = JSON.parse(await metaText(c));
    } catch {
      throw apiError.badRequest(`the ${MOVE_OBJECT_HEADER} header must be base64 JSON`);
    }
    const meta = parseInput(objectWire, json, MOVE_OBJECT_HEADER);
    op.principal = `region:${meta.from_region}`;
    op.bucket = meta.bucket;
    op.key = meta.key;
    await assertReceiving(deps, id, meta);
    const done = await receiveObject(deps, id, meta, c.env.incoming);
    op.bytes = done.stored ? meta.size : 0;
    op.info = { from_region: meta.from_region, version_id: meta.version_id, sha256: meta.sha256, stored: done.stored };
    return c.json({ ...done, version_id: meta.version_id }, done.stored ? 201 : 200);
  });
  return r;
}
