import { Hono, type Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { operation, requireRole } from "../../middleware/auth.ts";
import {
  cancelKeyDeletion,
  disableCustomerKey,
  enableCustomerKey,
  rotateCustomerKey,
  scheduleDeletionSchema,
  scheduleKeyDeletion,
} from "../../services/keys/customer-keys.ts";
import { parseInput } from "../../services/paging.ts";
import { customerParam, KEY_MANAGER_ROLES, keyIdParam, keyManager } from "./customer-keys-params.ts";
import { jsonBody } from "./json-body.ts";

type Transition = (a: { ctx: AppEnv["Variables"]["deps"]; input: { customerId: string; keyId: string } }) => Promise<{ before: string; key: { state: string } }>;

/** A state change of one key, audited with the state before and after. */
function stateRoute(change: Transition) {
  return async (c: Context<AppEnv>) => {
    const id = customerParam(c);
    const keyId = keyIdParam(c);
    const { before, key } = await change({ ctx: c.var.deps, input: { customerId: id, keyId } });
    c.var.op.info = { key_id: keyId, state_before: before, state: key.state };
    return c.json(key);
  };
}

/** Rotating, disabling, enabling and scheduling (or cancelling) the deletion of a customer's key. */
export function customerKeyStateRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const manage = [requireRole(...KEY_MANAGER_ROLES), keyManager] as const;

  r.post("/customers/:id/keys/:keyId/rotate", operation("RotateCustomerKey"), ...manage, async (c) => {
    const id = customerParam(c);
    const keyId = keyIdParam(c);
    const key = await rotateCustomerKey({ ctx: c.var.deps, input: { customerId: id, keyId } });
    c.var.op.info = { key_id: keyId, current_version: key.current_version };
    return c.json(key);
  });

  r.post("/customers/:id/keys/:keyId/disable", operation("DisableCustomerKey"), ...manage, stateRoute(disableCustomerKey));
  r.post("/customers/:id/keys/:keyId/enable", operation("EnableCustomerKey"), ...manage, stateRoute(enableCustomerKey));
  r.post("/customers/:id/keys/:keyId/cancel-deletion", operation("CancelCustomerKeyDeletion"), ...manage, stateRoute(cancelKeyDeletion));

  r.post("/customers/:id/keys/:keyId/schedule-deletion", operation("ScheduleCustomerKeyDeletion"), ...manage, async (c) => {
    const id = customerParam(c);
    const keyId = keyIdParam(c);
    const body = parseInput(scheduleDeletionSchema, await jsonBody(c, { emptyIsObject: true }), "body");
    const { before, key } = await scheduleKeyDeletion({ ctx: c.var.deps, input: { customerId: id, keyId, pendingDays: body.pending_days } });
    c.var.op.info = { key_id: keyId, state_before: before, state: key.state, pending_days: body.pending_days, deletion_date: key.deletion_date };
    return c.json(key);
  });

  return r;
}
