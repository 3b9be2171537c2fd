import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The benchmark's own checks (real sockets, a real wrk), not part of `npm test`:
//   node_modules/.bin/vitest run --config bench/vitest.config.ts
export default defineConfig({
  test: {
    name: "bench",
    root: dirname(fileURLToPath(import.meta.url)),
    include: ["lib/**/*.test.ts"],
    testTimeout: 60_000,
    fileParallelism: false,
  },
});
