import { defineConfig } from "vitest/config";
// The CLI as a real process against a real two-layer stack: generous limits, files one at a time.
export default defineConfig({ test: { name: "cli", include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 120_000, fileParallelism: false } });
