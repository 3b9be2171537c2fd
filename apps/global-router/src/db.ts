import type { Database, Db } from "@s3gw/db";
import type { globalSchema } from "@s3gw/schema-global";

export type GlobalSchema = typeof globalSchema;
export type GlobalDb = Db<GlobalSchema>;
export type GlobalDatabase = Database<GlobalSchema>;
