import type { Database, Db } from "@s3gw/db";
import type { globalSchema } from "@s3gw/schema-global";

export type GlobalSchema = typeof globalSchema;
export type GlobalDb = Db<GlobalSchema>;
export type GlobalDatabase = Database<GlobalSchema>;

/** How long /health and the ops dashboard wait for the database before calling it down. */
export const DB_PING_TIMEOUT_MS = 2_000;

/** The ping's answer, or false if it fails or has not answered within `ms`. */
export async function pingWithin(ping: () => Promise<boolean>, ms = DB_PING_TIMEOUT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([ping().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
