import { fileURLToPath } from "node:url";
import * as regionalSchema from "./tables.ts";

export * from "./tables.ts";
export { regionalSchema };
export const regionalMigrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));
export type { EncryptionDocument } from "./columns.ts";
