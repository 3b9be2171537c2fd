import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { socketAddress } from "../../forwarding-proof.ts";
import { resultOf } from "../../services/audit/audit.ts";
import { sourceCountryOf } from "../../source-country.ts";
import type { ConsoleEnv } from "./env.ts";

/**
 * Console pages are mounted before the audit middleware (their API calls are the audited
 * operations); signing in and out are the console's own operations, so they get their rows
 * here, with the page's request id. Never the token: the principal names it by id.
 */
export async function auditConsoleEvent(
  c: Context<ConsoleEnv>,
  e: { operation: "ConsoleSignIn" | "ConsoleSignOut"; status: number; principal: string | null; customerId: string | null; errorCode?: string },
): Promise<void> {
  const { deps, requestId } = c.var;
  await deps.audit.record({
    requestId,
    customerId: e.customerId,
    operationType: e.operation,
    bucketName: null,
    objectKey: null,
    result: resultOf(e.status),
    statusCode: e.status,
    errorCode: e.errorCode ?? null,
    bytesTransferred: 0,
    sourceIp: socketAddress(c as unknown as Context<AppEnv>) ?? null,
    sourceCountry: sourceCountryOf(c as unknown as Context<AppEnv>),
    crossBorderTransfer: false,
    complianceInfo: {},
    durationMs: Math.round(performance.now() - c.var.startedAt),
    principal: e.principal,
    createdAt: deps.clock.now(),
  });
}
