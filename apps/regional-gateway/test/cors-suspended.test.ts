// A CORS preflight follows the customer's standing as the real request does: suspended with
// reads allowed, preflights of GET/HEAD are answered and those of writes refused; suspended with
// reads refused (and offboarded), every preflight gets the same 403 as a bucket without CORS.
import { afterAll, beforeAll, expect, it } from "vitest";
import { corsXml, preflight } from "./browser-helpers.ts";
import { adminAuth, registerWithBuckets, startTestRegion, type TestRegion } from "./harness.ts";

const APP = "https://app.example";
let fi: TestRegion;

const suspend = (reads: "allowed" | "refused") => fetch(`${fi.url}/api/customers/acme-corp/suspend`, {
  method: "POST", headers: { ...adminAuth, "content-type": "application/json" }, body: JSON.stringify({ reason: "unpaid invoice", reads }),
});
const resume = () => fetch(`${fi.url}/api/customers/acme-corp/resume`, { method: "POST", headers: adminAuth });
const ask = async (method: string) => (await preflight(`${fi.url}/web/a.bin`, { Origin: APP, "Access-Control-Request-Method": method, "X-Customer-ID": "acme-corp" })).status;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  const acme = await registerWithBuckets(fi.url, "acme-corp", ["web"]);
  const rules = corsXml([`<AllowedOrigin>${APP}</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedMethod>PUT</AllowedMethod>`]);
  expect((await acme("/web?cors", { method: "PUT", body: rules })).status).toBe(200);
});
afterAll(() => fi?.destroy());

it("answers preflights of reads while reads are allowed, refuses writes', and refuses all while reads are refused", async () => {
  expect([await ask("GET"), await ask("PUT")]).toEqual([200, 200]);
  expect((await suspend("allowed")).status).toBe(200);
  expect([await ask("GET"), await ask("HEAD"), await ask("PUT")]).toEqual([200, 200, 403]);
  expect((await resume()).status).toBe(200);
  expect((await suspend("refused")).status).toBe(200);
  expect([await ask("GET"), await ask("PUT")]).toEqual([403, 403]);
  expect((await resume()).status).toBe(200);
  expect([await ask("GET"), await ask("PUT")]).toEqual([200, 200]);
});
