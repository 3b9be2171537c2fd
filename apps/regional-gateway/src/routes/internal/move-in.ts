import { AppError, apiError } from "@s3gw/core";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { operation } from "../../middleware/auth.ts";
import { requireRegionSignature } from "../../middleware/region-signature.ts";
import { parseInput } from "../../services/paging.ts";
import { assertReceiving } from "../../services/moves/move-in-guard.ts";
import { activateHere, missingHere, receiveMarkers, verifyHere } from "../../services/moves/move-in-finish.ts";
import { receiveSnapshot } from "../../services/moves/move-in-snapshot.ts";
import { resetReceivedObjects } from "../../services/moves/move-in-reset.ts";
import { activateWire, markersWire, missingWire, resetWire, snapshotWire, verifyWire } from "../../services/moves/move-wire.ts";
import { customerParamOf } from "./move-params.ts";

const SNAPSHOT_MAX_BYTES = 16 * 1024 * 1024;
const BATCH_MAX_BYTES = 1024 * 1024;

const limit = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError("PAYLOAD_TOO_LARGE", 413, `request body must be at most ${maxSize} bytes`);
    },
  });
const signed = requireRegionSignature((c) => c.req.text());

/** The signed JSON body, validated; the calling region is recorded as the audit row's principal. */
async function input<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  let json: unknown;
  try {
    json = JSON.parse(await c.req.text());
  } catch {
    throw apiError.badRequest("request body must be JSON");
  }
  const body = parseInput(schema, json, "body") as { from_region: string };
  c.var.op.principal = `region:${body.from_region}`;
  return body as z.infer<S>;
}

/**
 * The target region's side of a move (region to region, signed, each signature once): the
 * snapshot, which versions it still lacks, delete markers, the final comparison of manifests
 * (and dropping the objects received when they differ), and taking over after the switch. Objects' bytes arrive at move-in-object.ts. Each call is an
 * audit row here, its principal the sending region.
 */
export function moveInRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.post("/:id/snapshot", operation("MoveInSnapshot"), limit(SNAPSHOT_MAX_BYTES), signed, async (c) => {
    const { deps, op } = c.var;
    const id = customerParamOf(c);
    const body = await input(c, snapshotWire);
    if (body.to_region !== deps.config.region.region_id) throw apiError.conflict(`this is region ${deps.config.region.region_id}, not ${body.to_region}`);
    const done = await receiveSnapshot(deps, id, body);
    op.info = { from_region: body.from_region, ...done };
    return c.json({ customer_id: id, ...done });
  });

  r.post("/:id/missing", operation("MoveInCompare"), limit(BATCH_MAX_BYTES), signed, async (c) => {
    const { deps, op } = c.var;
    const id = customerParamOf(c);
    const body = await input(c, missingWire);
    await assertReceiving(deps, id, body);
    const done = await missingHere(deps, id, body);
    op.info = { from_region: body.from_region, asked: body.versions.length, missing: done.missing.length };
    return c.json(done);
  });

  r.post("/:id/markers", operation("MoveInDeleteMarkers"), limit(BATCH_MAX_BYTES), signed, async (c) => {
    const { deps, op } = c.var;
    const id = customerParamOf(c);
    const body = await input(c, markersWire);
    await assertReceiving(deps, id, body);
    const done = await receiveMarkers(deps, id, body);
    op.info = { from_region: body.from_region, ...done };
    return c.json(done);
  });

  r.post("/:id/verify", operation("MoveInVerify"), limit(BATCH_MAX_BYTES), signed, async (c) => {
    const { deps, op } = c.var;
    const id = customerParamOf(c);
    const body = await input(c, verifyWire);
    await assertReceiving(deps, id, body);
    const done = await verifyHere(deps, id, body);
    op.info = { from_region: body.from_region, ...done };
    return c.json(done);
  });

  r.post("/:id/reset", operation("MoveInReset"), limit(BATCH_MAX_BYTES), signed, async (c) => {
    const { deps, op } = c.var;
    const id = customerParamOf(c);
    const body = await input(c, resetWire);
    await assertReceiving(deps, id, body);
    const done = await resetReceivedObjects(deps, id);
    op.info = { from_region: body.from_region, ...done };
    return c.json(done);
  });

  r.post("/:id/activate", operation("MoveInActivate"), limit(BATCH_MAX_BYTES), signed, async (c) => {
    const { deps, op } = c.var;
    const id = customerParamOf(c);
    const body = await input(c, activateWire);
    if (body.to_region !== deps.config.region.region_id) throw apiError.conflict(`this is region ${deps.config.region.region_id}, not ${body.to_region}`);
    const done = await activateHere(deps, id, body.from_region);
    op.info = { ...done };
    return c.json({ customer_id: id, ...done });
  });

  return r;
}
