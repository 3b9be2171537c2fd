import { createTestDatabase } from "@s3gw/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TcpProxy, viaProxy } from "../../apps/regional-gateway/test/failure-helpers.ts";
import { ADMIN_TOKEN, startTestRegion, type TestRegion } from "../../apps/regional-gateway/test/harness.ts";
import { launchConsoleBrowser, type ConsoleBrowser } from "../support/console-browser.ts";

/**
 * The console when the region's database goes away (reached through a TCP proxy the test
 * cuts): pages answer 503 with the request id and Retry-After, never a 500 or a stack, and the
 * session is still there when the database is back.
 */

let region: TestRegion;
let proxy: TcpProxy;
let dropDb: () => Promise<void>;
let browser: ConsoleBrowser;

beforeAll(async () => {
  const db = await createTestDatabase("console-outage");
  dropDb = db.drop;
  const u = new URL(db.url);
  proxy = await TcpProxy.start({ host: u.hostname, port: Number(u.port || 5432) });
  region = await startTestRegion("FI-HEL", { database: { url: viaProxy(db.url, proxy), poolSize: 4 } });
  browser = await launchConsoleBrowser();
});

afterAll(async () => {
  await browser?.close();
  await region?.destroy();
  await proxy?.close();
  await dropDb?.();
});

describe("the region's database is down", () => {
  it("a signed-in page is a 503 page naming the request, and the session survives the outage", async () => {
    const tab = await browser.signIn(region.url, ADMIN_TOKEN);
    await proxy.cut();
    try {
      const res = await tab.reload();
      expect(res?.status()).toBe(503);
      expect(Number(res!.headers()["retry-after"])).toBeGreaterThan(0);
      expect(res!.headers()["content-security-policy"]).toContain("default-src 'none'");
      const text = (await tab.locator("main").textContent())!;
      expect(text).toContain("unavailable");
      expect(text).toContain(res!.headers()["x-request-id"]!);
      expect(text).not.toMatch(/\bat .+\.ts:\d+|Error:|ECONNREFUSED/);

      await tab.goto(`${region.url}/console/signin`);
      await tab.getByLabel("API token").fill(ADMIN_TOKEN);
      const [signin] = await Promise.all([tab.waitForResponse((r) => r.request().method() === "POST"), tab.getByRole("button", { name: "Sign in" }).click()]);
      expect(signin.status()).toBe(503);
      // Not "unknown token": the region could not check it, and says so.
      expect(await tab.locator("main").textContent()).toContain("cannot check tokens");
    } finally {
      await proxy.restore();
    }
    await expect.poll(async () => (await tab.goto(`${region.url}/console`))?.status(), { timeout: 15_000, interval: 500 }).toBe(200);
    expect(await tab.locator("h1").textContent()).toBe("Overview");
    await tab.close();
  });
});
