import { z } from "zod";

// The field types every response schema of the regional API is built from.
export const iso = z.iso.datetime({ offset: true });
export const isoOrNull = iso.nullable();
export const int = z.number().int();
export const strOrNull = z.string().nullable();
/** A stored JSON document whose keys depend on what wrote it (event details, a request's result). */
export const jsonDoc = z.record(z.string(), z.unknown());
export const customerStatus = z.enum(["active", "suspended", "offboarded", "moving_out", "moving_in", "moved"]);
export const residencyRequirement = z.enum(["strict", "jurisdiction", "flexible"]);
