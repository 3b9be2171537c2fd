import { defineConfig } from "vitest/config";
// Real embedded databases (a WASM Postgres each) on a 2-core machine: generous limits, no timed assertions.
export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 } });
