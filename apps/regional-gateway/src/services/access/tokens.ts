import { randomBytes } from "node:crypto";
import { apiError, hashToken, isAdminToken, ROLES, type AdminTokenDigest, type Principal, type Role } from "@s3gw/core";
import { apiTokens } from "@s3gw/schema-regional";
import { and, asc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { RegionalDb } from "../../env.ts";

export async function authenticateToken(db: RegionalDb, bootstrap: AdminTokenDigest | undefined, token: string): Promise<Principal | undefined> {
  if (bootstrap && isAdminToken(bootstrap, token)) {
    return { kind: "token", tokenId: "bootstrap-admin", name: "bootstrap admin", role: "admin", customerId: null };
  }
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  return row && { kind: "token", tokenId: row.tokenId, name: row.name, role: row.role, customerId: row.customerId };
}


export const createTokenSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  customer_id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/).optional(),
});

export async function createToken(db: RegionalDb, input: z.infer<typeof createTokenSchema>, createdBy: string) {
  const secret = `s3gw_${randomBytes(24).toString("base64url")}`;
  const [row] = await db
    .insert(apiTokens)
    .values({ name: input.name, role: input.role as Role, customerId: input.customer_id ?? null, tokenHash: hashToken(secret), createdBy })
    .returning();
  return { token: secret, ...tokenView(row!) };
}

export async function listTokens(db: RegionalDb) {
  const rows = await db.select().from(apiTokens).orderBy(asc(apiTokens.createdAt));
  return rows.map(tokenView);
}

export async function revokeToken(db: RegionalDb, tokenId: string, now: Date): Promise<void> {
  const rows = await db.update(apiTokens).set({ revokedAt: now }).where(and(eq(apiTokens.tokenId, tokenId), isNull(apiTokens.revokedAt))).returning();
  if (rows.length === 0) throw apiError.notFound(`no active token ${tokenId}`);
}

function tokenView(r: typeof apiTokens.$inferSelect) {
  return {
    token_id: r.tokenId,
    name: r.name,
    role: r.role,
    customer_id: r.customerId,
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
    revoked_at: r.revokedAt?.toISOString() ?? null,
  };
}
