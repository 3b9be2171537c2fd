import { describe, expect, it } from "vitest";
import { gatewayKey, signForwardedRequest, signInternalRequest, verifyForwardedRequest, verifyInternalRequest, type ForwardedRequest } from "../src/gateway-signatures.ts";

const SECRET = "a-shared-secret-of-at-least-32-characters";
const now = 1_767_225_600;

describe("internal request signatures", () => {
  const req = { method: "PUT", path: "/internal/access-keys/S3GWABCDEFGHIJKLMNOP", body: '{"customer_id":"acme-corp"}' };

  it("verifies what it signed within the window, and nothing else", () => {
    const header = signInternalRequest(SECRET, req, now);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyInternalRequest(SECRET, header, req, now + 299)).toEqual({ ok: true });
    expect(verifyInternalRequest(SECRET, header, req, now + 301)).toMatchObject({ ok: false, reason: expect.stringContaining("window") });
    expect(verifyInternalRequest(SECRET, header, req, now - 301)).toMatchObject({ ok: false });
    expect(verifyInternalRequest(`${SECRET}x`, header, req, now)).toMatchObject({ ok: false, reason: "signature does not match" });
    expect(verifyInternalRequest(SECRET, header, { ...req, method: "DELETE" }, now)).toMatchObject({ ok: false });
    expect(verifyInternalRequest(SECRET, header, { ...req, path: "/internal/access-keys/OTHER" }, now)).toMatchObject({ ok: false });
    expect(verifyInternalRequest(SECRET, header, { ...req, body: '{"customer_id":"evil"}' }, now)).toMatchObject({ ok: false });
    // The timestamp is covered too: moving it forward breaks the signature.
    expect(verifyInternalRequest(SECRET, header.replace(/^t=(\d+)/, (_, t) => `t=${Number(t) + 1}`), req, now)).toMatchObject({ ok: false });
    expect(verifyInternalRequest(SECRET, undefined, req, now)).toMatchObject({ ok: false, reason: "missing signature" });
    expect(verifyInternalRequest(SECRET, "v1=abc", req, now)).toMatchObject({ ok: false, reason: expect.stringContaining("malformed") });
  });
});

describe("forwarding proof", () => {
  const fwd: ForwardedRequest = {
    method: "GET",
    pathAndQuery: "/documents/a%20b.txt?list-type=2",
    forwardedFor: "203.0.113.7, 127.0.0.1",
    forwardedHost: "s3.example.com",
    forwardedProto: "https",
    routedCustomerId: "acme-corp",
    sourceCountry: "FI",
  };

  it("the secret as text and as its key object sign and check alike; another secret's key does not verify", () => {
    const proof = signForwardedRequest(SECRET, fwd, now);
    expect(verifyForwardedRequest(gatewayKey(SECRET), proof, fwd, now)).toEqual({ ok: true });
    expect(verifyForwardedRequest(SECRET, signForwardedRequest(gatewayKey(SECRET), fwd, now), fwd, now)).toEqual({ ok: true });
    expect(verifyForwardedRequest(gatewayKey(`${SECRET}x`), proof, fwd, now)).toEqual({ ok: false, reason: "signature does not match" });
  });

  it("binds every forwarded field", () => {
    const proof = signForwardedRequest(SECRET, fwd, now);
    expect(verifyForwardedRequest(SECRET, proof, fwd, now)).toEqual({ ok: true });
    for (const change of [
      { method: "DELETE" },
      { pathAndQuery: "/documents/other" },
      { forwardedFor: "198.51.100.1" },
      { forwardedHost: "evil.example" },
      { forwardedProto: "http" },
      { routedCustomerId: "globex" },
      { sourceCountry: "US" },
      { sourceCountry: "" },
    ]) {
      expect(verifyForwardedRequest(SECRET, proof, { ...fwd, ...change }, now)).toMatchObject({ ok: false });
    }
    expect(verifyForwardedRequest(SECRET, proof, fwd, now + 301)).toMatchObject({ ok: false });
  });
});
