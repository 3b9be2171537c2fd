import net, { type AddressInfo } from "node:net";
import { INTERNAL_SIGNATURE_HEADER, signInternalRequest } from "@s3gw/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../apps/global-router/src/config.ts";
import { startGlobalRouter } from "../../apps/global-router/src/start.ts";
import { rawRequest } from "../support/http.ts";
import { adminAuth, GATEWAY_SECRET, register, startRouter, topologyOf, type RouterHarness } from "../../apps/global-router/test/helpers.ts";

// The router's edge tried as an attacker would: request targets that normalise somewhere
// else, forged countries, enumeration, the internal channel, Expect, trusted-header mode.

interface Seen { line: string; headers: Map<string, string[]> }

/** A raw TCP "region" that only observes: it records the request head as received and answers 200. */
async function rawRegion(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => {});
    let head = "";
    sock.on("data", (d: Buffer) => {
      head += d.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [line = "", ...rest] = head.slice(0, end).split("\r\n");
      head = "";
      const headers = new Map<string, string[]>();
      for (const h of rest) {
        const i = h.indexOf(":");
        const name = h.slice(0, i).toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), h.slice(i + 1).trim()]);
      }
      if (!line.includes(" /health ")) seen.push({ line, headers });
      sock.end("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}


let region: Awaited<ReturnType<typeof rawRegion>>;
let h: RouterHarness;
let host: string;

beforeAll(async () => {
  region = await rawRegion();
  h = await startRouter(topologyOf([{ regionId: "FI-HEL", url: region.url, country: "FI" }]), {
    sourceCountry: { header: "x-source-country", trustedProxies: ["127.0.0.1"] },
  });
  host = new URL(h.router.url).host;
  expect((await register(h.router.url, "acme-corp", "FI-HEL")).status).toBe(201);
});
afterAll(async () => {
  await h?.stop();
  await region?.close();
});

const put = (target: string, extra = "") => `PUT ${target} HTTP/1.1\nHost: ${host}\nx-customer-id: acme-corp\ncontent-length: 0\n${extra}`;

describe("the raw request target is forwarded unchanged", () => {
  const targets = [
    "/bucket/a/../b",
    "/bucket/./x",
    "/bucket/%2e%2e/x",
    "/bucket/%2E%2E/%2e/x",
    "/bucket//double//slashes",
    "/bucket/a%2Fb?x=1&y=%2F&z",
    "/bucket/../evil.txt",
    // These normalise to the router's own routes; as S3 paths they must reach the region.
    "/bucket/../health",
    "/bucket/../routing/customers/acme-corp",
    "/s3/../internal/routing/customers/acme-corp",
  ];
  for (const target of targets) {
    it(target, async () => {
      const before = region.seen.length;
      const res = await rawRequest(h.router.url, put(target));
      expect(res.startsWith("HTTP/1.1 200"), res).toBe(true);
      expect(region.seen.length).toBe(before + 1);
      expect(region.seen.at(-1)?.line).toBe(`PUT ${target} HTTP/1.1`);
    });
  }

  it("a management path with dot segments is not answered as that route", async () => {
    const res = await rawRequest(h.router.url, `GET /health/../health HTTP/1.1\nHost: ${host}\n`);
    expect(res).toMatch(/^HTTP\/1.1 404/);
    expect(res).toContain('"code":"NOT_FOUND"');
  });
});

describe("the source country comes from a trusted proxy, never the client", () => {
  it("forwards the header set by a configured proxy address (127.0.0.1), one value, upper case", async () => {
    await rawRequest(h.router.url, put("/bucket/country", "x-source-country: de\n"));
    expect(region.seen.at(-1)?.headers.get("x-source-country")).toEqual(["DE"]);
  });

  it("drops it from a peer that is not a configured proxy (127.0.0.2)", async () => {
    await rawRequest(h.router.url, put("/bucket/country2", "x-source-country: FI\n"), { localAddress: "127.0.0.2" });
    expect(region.seen.at(-1)?.line).toBe("PUT /bucket/country2 HTTP/1.1");
    expect(region.seen.at(-1)?.headers.get("x-source-country")).toBeUndefined();
  });

  it("drops malformed or repeated values even from the proxy", async () => {
    for (const extra of ["x-source-country: Finland\n", "x-source-country: FI\nx-source-country: US\n", "X-Source-Country: 12\n"]) {
      await rawRequest(h.router.url, put("/bucket/country3", extra));
      expect(region.seen.at(-1)?.headers.get("x-source-country"), extra).toBeUndefined();
    }
  });

  it("strips a client's header when no proxy is configured at all", async () => {
    const plain = await startRouter(topologyOf([{ regionId: "FI-HEL", url: region.url, country: "FI" }]));
    try {
      expect((await register(plain.router.url, "acme-corp", "FI-HEL")).status).toBe(201);
      const plainHost = new URL(plain.router.url).host;
      await rawRequest(plain.router.url, `PUT /bucket/c HTTP/1.1\nHost: ${plainHost}\nx-customer-id: acme-corp\nx-source-country: FI\ncontent-length: 0\n`);
      expect(region.seen.at(-1)?.line).toBe("PUT /bucket/c HTTP/1.1");
      expect(region.seen.at(-1)?.headers.get("x-source-country")).toBeUndefined();
    } finally {
      await plain.stop();
    }
  });
});

describe("no customer enumeration", () => {
  it("GET /routing/customers/:id needs the admin token: 401 for known and unknown ids alike", async () => {
    for (const id of ["acme-corp", "nobody-here"]) {
      const res = await fetch(`${h.router.url}/routing/customers/${id}`);
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "requestId"]);
      expect(body.error.code).toBe("UNAUTHORIZED");
      expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    }
    expect((await fetch(`${h.router.url}/routing/customers/acme-corp`, { headers: adminAuth })).status).toBe(200);
  });
});

describe("GET /internal/routing/customers/:id (signed by a region)", () => {
  const path = (id: string) => `/internal/routing/customers/${id}`;
  const signed = (p: string, secret = GATEWAY_SECRET, at = Date.now() / 1000) => ({ [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(secret, { method: "GET", path: p, body: "" }, at) });

  it("answers 200 {customer_id, primary_region} for a routed customer and 404 for others", async () => {
    const ok = await fetch(`${h.router.url}${path("acme-corp")}`, { headers: signed(path("acme-corp")) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ customer_id: "acme-corp", primary_region: "FI-HEL" });
    const missing = await fetch(`${h.router.url}${path("nobody-here")}`, { headers: signed(path("nobody-here")) });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });

  it("refuses unsigned, badly signed, stale and replayed-for-another-path calls with 401", async () => {
    const cases: Array<Record<string, string>> = [
      {},
      { [INTERNAL_SIGNATURE_HEADER]: "t=1,v1=abc" },
      signed(path("acme-corp"), "another-secret-another-secret-0123456789"),
      signed(path("acme-corp"), GATEWAY_SECRET, Date.now() / 1000 - 3600),
      signed(path("nobody-here")),
      { ...adminAuth },
    ];
    for (const headers of cases) {
      const res = await fetch(`${h.router.url}${path("acme-corp")}`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe("UNAUTHORIZED");
    }
  });
});

describe("Expect: 100-continue", () => {
  it("an unauthenticated PUT gets its 403 with no 100 Continue before it", async () => {
    const off = await startRouter(topologyOf([{ regionId: "FI-HEL", url: region.url, country: "FI" }]), { trustedCustomerHeader: false });
    try {
      const offHost = new URL(off.router.url).host;
      for (const who of ["", "x-customer-id: acme-corp\n"]) {
        const res = await rawRequest(off.router.url, `PUT /bucket/k HTTP/1.1\nHost: ${offHost}\n${who}content-length: 1048576\nexpect: 100-continue\n`);
        expect(res.startsWith("HTTP/1.1 403"), res.slice(0, 80)).toBe(true);
        expect(res).not.toContain("100 Continue");
        expect(res).toContain("<Code>AccessDenied</Code>");
      }
    } finally {
      await off.stop();
    }
  });
});

describe("Expect values other than 100-continue", () => {
  it("reach the router's S3 handling (S3 ignores them) instead of Node's own 417", async () => {
    const off = await startRouter(topologyOf([{ regionId: "FI-HEL", url: region.url, country: "FI" }]), { trustedCustomerHeader: false });
    try {
      const host = new URL(off.router.url).host;
      for (const expectation of ["200", "", "something-else"]) {
        const res = await rawRequest(off.router.url, `GET /bucket/k HTTP/1.1\nHost: ${host}\nexpect: ${expectation}\n`);
        expect(res.startsWith("HTTP/1.1 417"), `expect: "${expectation}"`).toBe(false);
      }
      // The request got its ordinary S3 answer (signed requests are required here).
      const routed = await rawRequest(off.router.url, `PUT /bucket/k HTTP/1.1\nHost: ${new URL(off.router.url).host}\ncontent-length: 0\nexpect: 200\n`);
      expect(routed.startsWith("HTTP/1.1 403"), routed.slice(0, 80)).toBe(true);
      expect(routed).toContain("<Code>AccessDenied</Code>");
    } finally {
      await off.stop();
    }
  });
});

describe("trusted-header mode (X-Customer-ID without credentials)", () => {
  it("is off unless configured, and then X-Customer-ID alone is refused and forwards nothing", async () => {
    const env = { DATABASE_URL: "postgres://x@127.0.0.1/x", TOPOLOGY_JSON: JSON.stringify(topologyOf([{ regionId: "FI-HEL", url: region.url, country: "FI" }])) };
    expect(loadConfig(env).trustedCustomerHeader).toBe(false);
    expect(loadConfig({ ...env, TRUSTED_CUSTOMER_HEADER: "true" }).trustedCustomerHeader).toBe(true);
    const off = await startRouter(topologyOf([{ regionId: "FI-HEL", url: region.url, country: "FI" }]), { trustedCustomerHeader: false });
    try {
      const before = region.seen.length;
      const res = await fetch(`${off.router.url}/bucket/key`, { headers: { "x-customer-id": "acme-corp" } });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("<Code>AccessDenied</Code>");
      expect(region.seen.length).toBe(before);
    } finally {
      await off.stop();
    }
  });

  it("refuses to start with it on a non-loopback address", async () => {
    for (const bad of ["0.0.0.0", "::", "192.0.2.1"]) {
      await expect(startGlobalRouter({ ...h.config, host: bad, trustedCustomerHeader: true })).rejects.toThrow(ConfigError);
    }
  });
});
