import { defineConfig } from "vitest/config";

// Tests share one Postgres server and bind real sockets; run files one at a time so the
// 64 MiB streaming test is not competing with the others for two cores.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
