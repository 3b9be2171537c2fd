import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register, send, startRouter, topologyOf, type RouterHarness } from "./helpers.ts";

/**
 * The breaker tells an overloaded region from a hung one. Both leave requests waiting past
 * `slowRequestMs` and both let the health probe time out (the overloaded region's /health
 * queues behind its work), but only the hung one stops answering requests. Under the
 * benchmark's 64 connections the router used to open the circuit of a region that was only
 * slow, turning its answers into 503s.
 */
describe("region circuit under overload", () => {
  let region: http.Server;
  let regionUrl: string;
  let h: RouterHarness;
  let hung = false;
  const waiting = new Set<ServerResponse>();

  beforeAll(async () => {
    region = http.createServer((req: IncomingMessage, res: ServerResponse) => {
      // /health never answers in time; requests are answered, slowly, unless the region hangs.
      if (req.url === "/health" || hung) {
        waiting.add(res);
        return;
      }
      req.resume();
      setTimeout(() => res.writeHead(200, { "content-type": "text/plain" }).end("slow but alive"), 400);
    });
    await new Promise<void>((r) => region.listen(0, "127.0.0.1", r));
    regionUrl = `http://127.0.0.1:${(region.address() as AddressInfo).port}`;
    h = await startRouter(topologyOf([{ regionId: "FI-HEL", url: regionUrl, country: "FI" }]), {
      circuit: { failureThreshold: 3, slowRequestMs: 150, probeTimeoutMs: 600, probeIntervalMs: 200 },
    });
    expect((await register(h.router.url, "busy-co", "FI-HEL")).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    for (const res of waiting) res.destroy();
    region.closeAllConnections();
    await new Promise<void>((r) => region.close(() => r()));
  });

  it("keeps the circuit closed while a slow region keeps answering, though its health probe times out", async () => {
    const statuses: number[] = [];
    // Eight clients back to back for about two seconds: every request outlives slowRequestMs
    // and several health probes time out meanwhile.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 5; i++) statuses.push((await send(`${h.router.url}/bkt/key-${i}`, { headers: { "x-customer-id": "busy-co" } })).status);
      }),
    );
    expect(statuses).toHaveLength(40);
    expect(new Set(statuses)).toEqual(new Set([200]));
    const health = (await (await fetch(`${h.router.url}/health`)).json()) as { circuits: Array<{ region_id: string; state: string }> };
    expect(health.circuits).toEqual([expect.objectContaining({ region_id: "FI-HEL", state: "closed" })]);
  }, 30_000);

  it("still opens it when the same region stops answering requests too", async () => {
    hung = true;
    const started = Date.now();
    const res = await send(`${h.router.url}/bkt/key`, { headers: { "x-customer-id": "busy-co" } });
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000);
    const next = await send(`${h.router.url}/bkt/key`, { headers: { "x-customer-id": "busy-co" } });
    expect(next.status).toBe(503);
  }, 30_000);
});
