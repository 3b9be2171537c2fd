import { defineConfig } from "vitest/config";
// Real databases and sockets on a 2-core machine: generous per-test limits, no timed assertions.
export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } });
