import type { Deps, RegionalDb } from "../../env.ts";
import type { RegionalCache } from "./regional-cache.ts";

/**
 * What a lookup that may be cached takes: the deps (cached when they carry the instance's cache)
 * or, as before the cache, a bare database handle (always read from the database).
 */
export type DbOrDeps = RegionalDb | (Pick<Deps, "db"> & { cache?: RegionalCache | undefined });

export function dbAndCache(from: DbOrDeps): { db: RegionalDb; cache: RegionalCache | undefined } {
  return "db" in from ? { db: from.db, cache: from.cache } : { db: from, cache: undefined };
}
