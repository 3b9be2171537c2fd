import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RegionalConfig } from "../src/config.ts";
import { isLoopbackHost, startRegionalGateway } from "../src/start.ts";
import { ADMIN_TOKEN, startTestRegion, TEST_TOPOLOGY } from "./harness.ts";

// Trusted-header mode (X-Customer-ID alone names the customer) is for the embedded walkthrough:
// whoever reaches the socket is believed, so the app must not start with it on a
// non-loopback address.

/** A configuration whose database is never reached: the refusal comes before it is opened. */
function config(host: string, trustedCustomerHeader: boolean): RegionalConfig {
  return {
    region: TEST_TOPOLOGY.regions[0]!,
    port: 0,
    host,
    database: { url: "postgres://postgres@127.0.0.1:1/never-opened", poolSize: 1 },
    storageDir: "/nonexistent",
    trustedCustomerHeader,
    adminToken: { sha256: createHash("sha256").update(ADMIN_TOKEN).digest("hex") },
    sourceCountryHeader: "x-source-country",
    trustedProxies: [],
    strayGraceMs: 1,
    sweepIntervalMs: 60_000,
    gdprDeadlineCheckMs: 60_000,
    lifecycleIntervalMs: 60_000,
    logLevel: "silent",
    presignMaxExpiresSeconds: 3600,
    staleUploadDays: 7,
    auditSigner: undefined,
    auditCheckpointIntervalMs: 60_000,
    auditCheckpointRetentionDays: 1,
  };
}

describe("trusted-header mode", () => {
  it("refuses to start on a non-loopback address", async () => {
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "gateway.example.com"]) {
      await expect(startRegionalGateway(config(host, true)), host).rejects.toThrow(/TRUSTED_CUSTOMER_HEADER=true needs a loopback HOST/);
    }
  });

  it("starts on loopback with it, and anywhere without it (the refusal is about the mode)", async () => {
    const loopback = await startTestRegion("FI-HEL", { host: "127.0.0.1", trustedCustomerHeader: true });
    await loopback.destroy();
    const open = await startTestRegion("FI-HEL", { host: "0.0.0.0", trustedCustomerHeader: false });
    await open.destroy();
  });

  it("knows which addresses are loopback", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "", "128.0.0.1", "127.0.0.1.example.com", "localhost.example.com", "::ffff:10.0.0.1"]) expect(isLoopbackHost(h), h).toBe(false);
  });
});
