import { openDatabase } from "@s3gw/db";
import { regionalMigrationsFolder, regionalSchema } from "@s3gw/schema-regional";
import { loadConfig } from "./config.ts";

/** Applies the regional schema's migrations and exits (the gateway also does this at start-up). */
const config = loadConfig({ STORAGE_DIR: "unused", ...process.env });
const database = await openDatabase(config.database, regionalSchema);
await database.migrate(regionalMigrationsFolder);
await database.close();
console.log(JSON.stringify({ msg: "regional migrations applied", region: config.region.region_id, database: database.kind }));
