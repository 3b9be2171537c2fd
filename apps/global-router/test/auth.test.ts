import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { isAdminToken } from "@s3gw/core";
import { ADMIN_TOKEN, adminAuth, json, register, startFakeRegion, startRouter, topologyOf, type FakeRegion, type RouterHarness } from "./helpers.ts";

const topologyFile = fileURLToPath(new URL("../../../infra/topology.local.json", import.meta.url));
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("admin token configuration", () => {
  const base = { PGLITE_DIR: "/tmp/pg", TOPOLOGY_FILE: topologyFile };

  it("keeps ADMIN_TOKEN only as its SHA-256, lets ADMIN_TOKEN_SHA256 win, and is unset by default", () => {
    expect(loadConfig({ ...base, ADMIN_TOKEN: "a-long-enough-admin-token" }).adminToken).toEqual({ sha256: sha256("a-long-enough-admin-token") });
    const digest = sha256("another-admin-token-value");
    expect(loadConfig({ ...base, ADMIN_TOKEN: "a-long-enough-admin-token", ADMIN_TOKEN_SHA256: digest }).adminToken).toEqual({ sha256: digest });
    expect(loadConfig(base).adminToken).toBeUndefined();
    expect(loadConfig({ ...base, ADMIN_TOKEN: "" }).adminToken).toBeUndefined();
  });

  it("refuses a short token or a malformed digest", () => {
    expect(() => loadConfig({ ...base, ADMIN_TOKEN: "short" })).toThrow(/ADMIN_TOKEN: must be at least 16 characters/);
    expect(() => loadConfig({ ...base, ADMIN_TOKEN_SHA256: "abc" })).toThrow(/ADMIN_TOKEN_SHA256/);
    expect(() => loadConfig({ ...base, ADMIN_TOKEN_SHA256: "G".repeat(64) })).toThrow(/ADMIN_TOKEN_SHA256/);
  });

  it("matches a presented token against the digest", () => {
    const configured = { sha256: sha256("the-right-admin-token") };
    expect(isAdminToken(configured, "the-right-admin-token")).toBe(true);
    expect(isAdminToken(configured, "the-wrong-admin-token")).toBe(false);
    expect(isAdminToken(configured, "")).toBe(false);
  });
});

describe("routing writes need the admin token", () => {
  let fi: FakeRegion;
  let h: RouterHarness;

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    h = await startRouter(topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]));
  });
  afterAll(async () => {
    await h?.stop();
    await fi?.close();
  });

  it("answers 401 JSON without a token or with a wrong one, and assigns nothing", async () => {
    const url = `${h.router.url}/routing/customers/acme-corp?region_id=FI-HEL`;
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: "Bearer not-the-admin-token-at-all" },
      { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString("base64")}` },
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
    ];
    for (const headers of cases) {
      const res = await fetch(url, { method: "POST", headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const body = await json(res);
      expect(body.error.code).toBe("UNAUTHORIZED");
      expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    }
    expect((await fetch(`${h.router.url}/routing/customers/acme-corp`, { headers: adminAuth })).status).toBe(404);
    const refused = h.logs.filter((l) => l.includes("admin authentication refused"));
    expect(refused).toHaveLength(cases.length);
    expect(h.logs.join("\n")).not.toContain("not-the-admin-token-at-all");
  });

  it("checks the token before looking at the input", async () => {
    const res = await fetch(`${h.router.url}/routing/customers/Not_Valid?region_id=nowhere`, { method: "POST" });
    expect(res.status).toBe(401);
  });

  it("assigns with the token (201), and leaves the registry, health and metrics open", async () => {
    const res = await fetch(`${h.router.url}/routing/customers/acme-corp?region_id=FI-HEL`, { method: "POST", headers: { authorization: `bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(201);
    for (const path of ["/regions", "/providers", "/health", "/metrics"]) {
      expect((await fetch(`${h.router.url}${path}`)).status, path).toBe(200);
    }
  });

  it("protects the ops dashboard the same way", async () => {
    expect((await fetch(`${h.router.url}/ops/dashboard`)).status).toBe(401);
    expect((await fetch(`${h.router.url}/ops/dashboard`, { headers: { authorization: "Bearer wrong-token-wrong-token" } })).status).toBe(401);
    expect((await fetch(`${h.router.url}/ops/dashboard`, { headers: adminAuth })).status).toBe(200);
  });
});

describe("a router without an admin token", () => {
  let fi: FakeRegion;
  let h: RouterHarness;

  beforeAll(async () => {
    fi = await startFakeRegion("FI-HEL");
    h = await startRouter(topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]), { adminToken: undefined });
  });
  afterAll(async () => {
    await h?.stop();
    await fi?.close();
  });

  it("warns at start-up and refuses routing writes and the dashboard with 503, whatever is presented", async () => {
    expect(h.logs.some((l) => l.includes('"level":40') && l.includes("no ADMIN_TOKEN or ADMIN_TOKEN_SHA256 configured"))).toBe(true);
    for (const headers of [{}, adminAuth]) {
      const res = await fetch(`${h.router.url}/routing/customers/acme-corp?region_id=FI-HEL`, { method: "POST", headers });
      expect(res.status).toBe(503);
      const body = await json(res);
      expect(body.error.code).toBe("SERVICE_UNAVAILABLE");
      expect(body.error.message).toContain("ADMIN_TOKEN");
      expect((await fetch(`${h.router.url}/ops/dashboard`, { headers })).status).toBe(503);
    }
    expect((await register(h.router.url, "acme-corp", "FI-HEL")).status).toBe(503);
    expect((await fetch(`${h.router.url}/routing/customers/acme-corp`)).status).toBe(503);
  });
});
