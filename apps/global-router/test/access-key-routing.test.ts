import { FORWARDED_PROOF_HEADER, INTERNAL_SIGNATURE_HEADER, ROUTED_CUSTOMER_HEADER, signInternalRequest, verifyForwardedRequest } from "@s3gw/core";
import { accessKeyRouting } from "@s3gw/schema-global";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATEWAY_SECRET, json, register, send, startFakeRegion, startRouter, topologyOf, type FakeRegion, type RouterHarness, type SeenRequest } from "./helpers.ts";

const GLOBEX_KEY = "S3GWGLOBEXAAAAAAAAAA";
const ACME_KEY = "S3GWACMEAAAAAAAAAAAA";

let fi: FakeRegion;
let de: FakeRegion;
let h: RouterHarness;
let base: string;

function internal(method: "PUT" | "DELETE", akid: string, body = "", opts: { secret?: string; t?: number; signedBody?: string } = {}): Promise<Response> {
  const path = `/internal/access-keys/${akid}`;
  const signature = signInternalRequest(opts.secret ?? GATEWAY_SECRET, { method, path, body: opts.signedBody ?? body }, opts.t ?? Date.now() / 1000);
  return fetch(`${base}${path}`, {
    method,
    headers: { [INTERNAL_SIGNATURE_HEADER]: signature, "content-type": "application/json" },
    body: method === "PUT" ? body : undefined,
  });
}

const owner = (customer: string) => JSON.stringify({ customer_id: customer });
/** A well-formed SigV4 header for `akid` (the router routes by it; only the region checks the signature). */
const sigv4 = (akid: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${akid}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"a".repeat(64)}`,
  "x-amz-date": "20260101T000000Z",
});
const presignedQuery = (akid: string) =>
  `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${akid}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=${"b".repeat(64)}`;

/** Whether the request a fake region received carries a valid proof for `customer`. */
function provenFor(seen: SeenRequest, customer: string): boolean {
  const header = (name: string) => {
    const v = seen.headers[name];
    return Array.isArray(v) ? v.join(", ") : (v ?? "");
  };
  if (header(ROUTED_CUSTOMER_HEADER) !== customer) return false;
  const check = verifyForwardedRequest(
    GATEWAY_SECRET,
    header(FORWARDED_PROOF_HEADER),
    {
      method: seen.method,
      pathAndQuery: seen.url,
      forwardedFor: header("x-forwarded-for"),
      forwardedHost: header("x-forwarded-host"),
      forwardedProto: header("x-forwarded-proto"),
      routedCustomerId: customer,
      sourceCountry: header("x-source-country"),
    },
    Date.now() / 1000,
  );
  return check.ok;
}

beforeAll(async () => {
  fi = await startFakeRegion("FI-HEL");
  de = await startFakeRegion("DE-FRA");
  h = await startRouter(
    topologyOf([
      { regionId: "FI-HEL", url: fi.url, country: "FI" },
      { regionId: "DE-FRA", url: de.url, country: "DE" },
    ]),
  );
  base = h.router.url;
  expect((await register(base, "acme-corp", "FI-HEL")).status).toBe(201);
  expect((await register(base, "globex", "DE-FRA")).status).toBe(201);
});
afterAll(async () => {
  await h?.stop();
  await fi?.close();
  await de?.close();
});

describe("internal access-key registration", () => {
  it("accepts only requests signed with the shared secret, within five minutes, over this exact body", async () => {
    const unsigned = await fetch(`${base}/internal/access-keys/${GLOBEX_KEY}`, { method: "PUT", body: owner("globex") });
    expect(unsigned.status).toBe(401);
    expect((await internal("PUT", GLOBEX_KEY, owner("globex"), { secret: "y".repeat(40) })).status).toBe(401);
    expect((await internal("PUT", GLOBEX_KEY, owner("globex"), { t: Date.now() / 1000 - 301 })).status).toBe(401);
    expect((await internal("PUT", GLOBEX_KEY, owner("globex"), { signedBody: owner("acme-corp") })).status).toBe(401);
    expect(await h.db.db.select().from(accessKeyRouting)).toEqual([]);

    const created = await internal("PUT", GLOBEX_KEY, owner("globex"));
    expect(created.status).toBe(201);
    expect(await json(created)).toEqual({ access_key_id: GLOBEX_KEY, customer_id: "globex" });
    expect((await internal("PUT", GLOBEX_KEY, owner("globex"))).status).toBe(200);
    const rows = await h.db.db.select().from(accessKeyRouting).where(eq(accessKeyRouting.accessKeyId, GLOBEX_KEY));
    expect(rows.map((r) => [r.accessKeyId, r.customerId])).toEqual([[GLOBEX_KEY, "globex"]]);
  });

  it("refuses a key for an unrouted customer or one that already belongs to another customer, and bad input", async () => {
    const unrouted = await internal("PUT", "S3GWNOBODYAAAAAAAAAA", owner("nobody"));
    expect(unrouted.status).toBe(409);
    expect((await json(unrouted)).error.message).toContain("not routed");
    expect((await internal("PUT", GLOBEX_KEY, owner("acme-corp"))).status).toBe(409);
    expect((await internal("PUT", "lower-case-key-id-x", owner("acme-corp"))).status).toBe(400);
    expect((await internal("PUT", ACME_KEY, '{"customer_id":"acme-corp","secret":"x"}')).status).toBe(400);
    expect((await internal("PUT", ACME_KEY, "not json")).status).toBe(400);
  });

  it("is switched off without a shared secret", async () => {
    const off = await startRouter(topologyOf([{ regionId: "FI-HEL", url: fi.url, country: "FI" }]), { gatewaySharedSecret: undefined });
    try {
      const path = `/internal/access-keys/${ACME_KEY}`;
      const res = await fetch(`${off.router.url}${path}`, {
        method: "PUT",
        headers: { [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(GATEWAY_SECRET, { method: "PUT", path, body: owner("acme-corp") }, Date.now() / 1000) },
        body: owner("acme-corp"),
      });
      expect(res.status).toBe(503);
    } finally {
      await off.stop();
    }
  });
});

describe("routing S3 requests by their credentials", () => {
  it("routes by the Authorization credential, vouching for the customer to the region", async () => {
    const before = de.seen.length;
    const res = await send(`${base}/s3/bucket/key`, { headers: sigv4(GLOBEX_KEY) });
    expect(res.status).toBe(200);
    expect(de.seen.length).toBe(before + 1);
    const seen = de.seen.at(-1)!;
    expect(seen.url).toBe("/s3/bucket/key");
    expect(seen.headers.authorization).toBe(sigv4(GLOBEX_KEY).authorization);
    expect(seen.headers["x-customer-id"]).toBeUndefined();
    expect(provenFor(seen, "globex")).toBe(true);
    expect(provenFor(seen, "acme-corp")).toBe(false);
  });

  it("routes presigned URLs by X-Amz-Credential, at the root path unchanged", async () => {
    const query = presignedQuery(GLOBEX_KEY);
    const res = await send(`${base}/bucket/key.txt?${query}`);
    expect(res.status).toBe(200);
    const seen = de.seen.at(-1)!;
    expect(seen.url).toBe(`/bucket/key.txt?${query}`);
    expect(provenFor(seen, "globex")).toBe(true);
  });

  it("answers InvalidAccessKeyId for a key it does not know, without reaching any region", async () => {
    const seenBefore = fi.seen.length + de.seen.length;
    for (const akid of ["S3GWUNKNOWNAAAAAAAAA", "AKID", "lowercase0000000000"]) {
      const res = await send(`${base}/bucket/key`, { headers: { ...sigv4(akid), "x-customer-id": "globex" } });
      expect(res.status).toBe(403);
      expect(res.headers["content-type"]).toBe("application/xml");
      expect(res.body.toString()).toContain("<Code>InvalidAccessKeyId</Code>");
    }
    const presigned = await send(`${base}/s3/bucket/key?${presignedQuery("S3GWUNKNOWNAAAAAAAAA")}`);
    expect(presigned.body.toString()).toContain("<Code>InvalidAccessKeyId</Code>");
    // Malformed SigV4 is refused at the router with the code the region would use.
    const malformed = await send(`${base}/bucket/key`, { headers: { authorization: `AWS4-HMAC-SHA256 Credential=${GLOBEX_KEY}/20260101/us-east-1/s3/aws4_request`, "x-customer-id": "globex" } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.toString()).toContain("<Code>AuthorizationHeaderMalformed</Code>");
    expect(fi.seen.length + de.seen.length).toBe(seenBefore);
  });

  it("refuses an X-Customer-ID that disagrees with the credentials, and accepts one that agrees", async () => {
    const seenBefore = fi.seen.length;
    const clash = await send(`${base}/s3/bucket/key`, { headers: { ...sigv4(GLOBEX_KEY), "x-customer-id": "acme-corp" } });
    expect(clash.status).toBe(403);
    expect(clash.body.toString()).toContain("<Code>AccessDenied</Code>");
    expect(fi.seen.length).toBe(seenBefore);
    const agree = await send(`${base}/s3/bucket/key`, { headers: { ...sigv4(GLOBEX_KEY), "x-customer-id": "globex" } });
    expect(agree.status).toBe(200);
    expect(de.seen.at(-1)!.headers["x-customer-id"]).toBe("globex");
  });

  it("strips x-s3gw-* headers a client sends and proves X-Customer-ID routing too", async () => {
    const res = await send(`${base}/documents?list-type=2`, {
      headers: { "x-customer-id": "acme-corp", [ROUTED_CUSTOMER_HEADER]: "globex", [FORWARDED_PROOF_HEADER]: `t=1,v1=${"0".repeat(64)}`, "X-S3GW-Extra": "1" },
    });
    expect(res.status).toBe(200);
    const seen = fi.seen.at(-1)!;
    expect(seen.url).toBe("/documents?list-type=2");
    expect(seen.rawHeaders.filter((_, i) => i % 2 === 0 && seen.rawHeaders[i]!.toLowerCase().startsWith("x-s3gw-")).map((n) => n.toLowerCase()).sort()).toEqual([
      FORWARDED_PROOF_HEADER,
      ROUTED_CUSTOMER_HEADER,
    ]);
    expect(provenFor(seen, "acme-corp")).toBe(true);
  });

  it("learns keys registered by another router instance, and forgets deleted ones at once", async () => {
    await h.db.db.insert(accessKeyRouting).values({ accessKeyId: ACME_KEY, customerId: "acme-corp" });
    expect((await send(`${base}/bucket`, { headers: sigv4(ACME_KEY) })).status).toBe(200);
    expect(provenFor(fi.seen.at(-1)!, "acme-corp")).toBe(true);

    expect((await internal("DELETE", GLOBEX_KEY, "", { secret: "z".repeat(40) })).status).toBe(401);
    expect((await internal("DELETE", GLOBEX_KEY)).status).toBe(204);
    expect((await internal("DELETE", GLOBEX_KEY)).status).toBe(204);
    expect(await h.db.db.select().from(accessKeyRouting).where(eq(accessKeyRouting.accessKeyId, GLOBEX_KEY))).toEqual([]);
    const gone = await send(`${base}/bucket`, { headers: sigv4(GLOBEX_KEY) });
    expect(gone.status).toBe(403);
    expect(gone.body.toString()).toContain("<Code>InvalidAccessKeyId</Code>");
  });
});

describe("S3 at the root path", () => {
  it("forwards everything that is not a management route, path unchanged", async () => {
    const list = await send(`${base}/`, { headers: { "x-customer-id": "acme-corp" } });
    expect(list.status).toBe(200);
    expect(fi.seen.at(-1)).toMatchObject({ method: "GET", url: "/" });
    const put = await send(`${base}/healthy-bucket/a%20b/c.txt?x-id=PutObject`, { method: "PUT", headers: { "x-customer-id": "globex" }, body: "abc" });
    expect(put.status).toBe(200);
    expect(JSON.parse(put.body.toString())).toMatchObject({ region: "DE-FRA", url: "/healthy-bucket/a%20b/c.txt?x-id=PutObject", bodyLength: 3 });
    const missing = await send(`${base}/bucket/key`);
    expect(missing.status).toBe(403);
    expect(missing.headers["content-type"]).toBe("application/xml");
  });

  it("keeps management routes and answers unknown management paths in JSON", async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect((await json(health)).service).toBe("global-router");
    expect((await fetch(`${base}/regions`)).status).toBe(200);
    const seenBefore = fi.seen.length + de.seen.length;
    for (const [method, path] of [["POST", "/health"], ["GET", "/routing/nope/x"], ["GET", "/internal/nope"], ["PUT", "/providers"], ["GET", "/ops"], ["DELETE", "/metrics"]] as const) {
      const res = await fetch(`${base}${path}`, { method, headers: { "x-customer-id": "acme-corp" } });
      expect(res.status).toBe(404);
      expect((await json(res)).error.code).toBe("NOT_FOUND");
    }
    expect(fi.seen.length + de.seen.length).toBe(seenBefore);
  });
});
