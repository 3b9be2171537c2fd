import { defineConfig } from "vitest/config";

// Root integration suite: drives real processes, sockets and Postgres databases, so files
// run one after another with generous timeouts.
export default defineConfig({
  test: {
    name: "integration",
    include: ["**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
