import { defineConfig } from "vitest/config";

// One vitest run over every workspace project that has its own vitest.config.ts, plus the
// root integration suite in test/. Globs name the config files (not the directories) so a
// package or app without tests is skipped instead of run with default settings.
export default defineConfig({
  test: {
    projects: [
      "packages/*/vitest.config.{ts,mts,js,mjs}",
      "apps/*/vitest.config.{ts,mts,js,mjs}",
      "test/vitest.config.{ts,mts,js,mjs}",
    ],
  },
});
