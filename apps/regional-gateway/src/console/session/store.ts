import { createHash, randomBytes } from "node:crypto";
import { apiError, type MasterKeyRing, type Principal } from "@s3gw/core";
import { consoleSessions, type ConsoleFlash } from "@s3gw/schema-regional";
import { eq, lt } from "drizzle-orm";
import type { Deps } from "../../env.ts";
import type { ConsoleSession } from "./env.ts";
import { sessionLifetimes } from "./settings.ts";

export const sessionHash = (sessionId: string) => createHash("sha256").update(sessionId).digest("hex");
// Bound to the session: a sealed token copied onto another session's row does not open.
const sealContext = (hash: string) => `console-session:${hash}`;

function ring(deps: Pick<Deps, "config">): MasterKeyRing {
  if (!deps.config.masterKeys) throw apiError.unavailable("the console needs MASTER_KEYS to seal its sessions' tokens");
  return deps.config.masterKeys;
}

/** Starts a session for a token the API accepted; returns the id for the cookie (never stored). */
export async function createSession(deps: Pick<Deps, "db" | "config" | "clock">, principal: Principal, token: string): Promise<string> {
  const keys = ring(deps);
  const now = deps.clock.now();
  const { maxSeconds } = sessionLifetimes(deps.config);
  // Sign-ins are rare; sweeping expired rows here keeps the table small without a worker.
  await deps.db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, now));
  const id = randomBytes(32).toString("base64url");
  const hash = sessionHash(id);
  await deps.db.insert(consoleSessions).values({
    sessionHash: hash,
    sealedToken: keys.seal(token, sealContext(hash)),
    tokenId: principal.tokenId,
    role: principal.role,
    customerId: principal.customerId,
    csrfSecret: randomBytes(32).toString("base64url"),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + maxSeconds * 1000),
  });
  return id;
}

/**
 * The live session of a cookie value, or undefined (unknown, idle too long, past its absolute
 * expiry, or its token no longer opens). An expired row is deleted; a live one is touched.
 */
export async function loadSession(deps: Pick<Deps, "db" | "config" | "clock">, sessionId: string): Promise<ConsoleSession | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return undefined;
  const hash = sessionHash(sessionId);
  const [row] = await deps.db.select().from(consoleSessions).where(eq(consoleSessions.sessionHash, hash)).limit(1);
  if (!row) return undefined;
  const now = deps.clock.now();
  const { idleSeconds } = sessionLifetimes(deps.config);
  let token: string | undefined;
  if (row.expiresAt > now && row.lastSeenAt.getTime() + idleSeconds * 1000 > now.getTime()) {
    try {
      token = ring(deps).open(row.sealedToken, sealContext(hash));
    } catch {
      token = undefined;
    }
  }
  if (token === undefined) {
    await endSession(deps, hash);
    return undefined;
  }
  await deps.db.update(consoleSessions).set({ lastSeenAt: now }).where(eq(consoleSessions.sessionHash, hash));
  return { hash, token, tokenId: row.tokenId, role: row.role, customerId: row.customerId, csrfSecret: row.csrfSecret, flash: row.flash ?? null };
}

export async function endSession(deps: Pick<Deps, "db">, hash: string): Promise<void> {
  await deps.db.delete(consoleSessions).where(eq(consoleSessions.sessionHash, hash));
}

/** Leaves a message for the next page (Post/Redirect/Get); `null` clears it once shown. */
export async function writeFlash(deps: Pick<Deps, "db">, hash: string, flash: ConsoleFlash | null): Promise<void> {
  await deps.db.update(consoleSessions).set({ flash }).where(eq(consoleSessions.sessionHash, hash));
}
