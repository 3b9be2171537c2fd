import { createMiddleware } from "hono/factory";
import { sourceCountryOf } from "../source-country.ts";
import type { AppEnv } from "../env.ts";
import { socketAddress } from "../forwarding-proof.ts";
import { observeOperation } from "../services/compliance/anomaly.ts";
import { resultOf } from "../services/audit/audit.ts";
import { observeRequest } from "../services/ops/metrics.ts";

/**
 * Writes one operations_log row for every request that reaches it, allowed or denied,
 * before the answer leaves: an acknowledged operation always has its audit row. An object
 * change that committed but whose row fails here (then answered 5xx) left its audit intent,
 * from which the recovery step appends the row (audit-recovery.ts).
 */
export const audit = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const deps = c.get("deps"), op = c.get("op"), requestId = c.get("requestId"), startedAt = c.get("startedAt"), logger = c.get("logger");
  const status = c.res.status;
  const customerId = op.customerId ?? c.req.header("x-customer-id") ?? null;
  try {
    await deps.audit.record({
      requestId,
      customerId: customerId && customerId.length <= 128 ? customerId : null,
      operationType: op.operation,
      bucketName: op.bucket ?? null,
      objectKey: op.key ?? null,
      result: resultOf(status),
      statusCode: status,
      errorCode: op.errorCode ?? null,
      bytesTransferred: op.bytes ?? 0,
      // x-forwarded-for is believed only through the forwarded middleware (a valid router proof).
      sourceIp: c.get("clientAddress") ?? socketAddress(c) ?? null,
      sourceCountry: sourceCountryOf(c),
      crossBorderTransfer: op.crossBorder ?? false,
      complianceInfo: op.info ?? {},
      durationMs: Math.round(performance.now() - startedAt),
      principal: op.principal ?? (op.customerId ? `customer:${op.customerId}` : null),
      createdAt: deps.clock.now(),
      // The intent a change of this request wrote in its transaction goes with this row.
      intentId: op.intentId,
    });
    await observeOperation(deps, op.customerId);
  } catch (err) {
    // A request whose audit row cannot be written is not acknowledged as a success.
    logger.error({ err: (err as Error).message, operation: op.operation }, "operations_log write failed");
    if (status < 400) throw err;
  }
  observeRequest(deps, { at: deps.clock.now(), method: c.req.method, operation: op.operation, status, durationMs: performance.now() - startedAt, bytes: op.bytes ?? 0 });
  logger.info({ operation: op.operation, status, ms: Math.round(performance.now() - startedAt) }, "request");
});

