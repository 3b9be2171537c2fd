import { fileURLToPath } from "node:url";
import * as globalSchema from "./tables.ts";

export * from "./tables.ts";
export { globalSchema };
export const globalMigrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));
