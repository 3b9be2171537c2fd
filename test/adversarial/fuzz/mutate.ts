import type { Rng } from "./rng.ts";

/** Raw (already percent-encoded or deliberately broken) path segments. */
export const HOSTILE_SEGMENTS = [
  "..", ".", "%2e%2e", "%2E%2E", "%2e", "..%2f..", "%00", "a%00b", "%ff", "%FFbad", "%ED%A0%80", "%ED%BF%BF", "%C0%AE%C0%AE", "%C0%80",
  "%", "%zz", "%2", "%25", "%2F", "%5C", "%20", "+", "~", "%E2%80%AE", "%F0%9F%92%A9", "%EF%BF%BF", "%F4%90%80%80", "CON", "api", "health",
  "s3", "internal", "metrics", "ops", "routing", "-", "A", "x".repeat(300), "%0d%0aX-Injected:%201", "%3Cscript%3E", "'", "\"", "%22", "`",
];

export const LONG_KEYS = () => ["k".repeat(1025), "d/".repeat(600), `${"%41".repeat(1100)}`, "z".repeat(9000), "y".repeat(20_000)];

export function hostileSegment(rng: Rng): string {
  return rng.chance(0.12) ? rng.pick(LONG_KEYS()) : rng.pick(HOSTILE_SEGMENTS);
}

/** A raw path with one hostile change: a segment replaced, inserted or the slashes doubled. */
export function mutatePath(rng: Rng, path: string): { path: string; what: string } {
  const segs = path.split("/");
  switch (rng.int(6)) {
    case 0: {
      const i = 1 + rng.int(Math.max(1, segs.length - 1));
      const s = hostileSegment(rng);
      segs[i] = s;
      return { path: segs.join("/"), what: `segment ${i}=${s.slice(0, 20)}` };
    }
    case 1: {
      const i = 1 + rng.int(segs.length);
      const s = hostileSegment(rng);
      segs.splice(i, 0, s);
      return { path: segs.join("/"), what: `insert ${s.slice(0, 20)}` };
    }
    case 2:
      return { path: path.replace(/\//g, () => (rng.chance(0.4) ? "//" : "/")), what: "double slashes" };
    case 3:
      return { path: `${path}${rng.pick(["/", "//", "/.", "/..", "%2F", "?", "#frag", ";x=1"])}`, what: "trailing" };
    case 4: {
      const i = 1 + rng.int(Math.max(1, segs.length - 1));
      segs[i] = `${segs[i] ?? ""}${hostileSegment(rng)}`;
      return { path: segs.join("/"), what: `suffix ${i}` };
    }
    default:
      return { path: rng.pick(["", "*", "//", "/%2e%2e/%2e%2e/", "/../../../etc/passwd", `/${"a/".repeat(400)}`, "/.", "/%00"]) || "/", what: "whole path" };
  }
}

const QUERY_VALUES = ["", "%00", "%ff", "%ED%A0%80", "%", "%zz", "-1", "0", "99999999999999999999999", "1e309", "NaN", "true", "[]", "{}", "a".repeat(9000), "%2e%2e%2f", "%0d%0a", "+", "%2B", "null", "undefined", "__proto__"];
const QUERY_NAMES = ["list-type", "prefix", "delimiter", "max-keys", "marker", "continuation-token", "start-after", "encoding-type", "uploadId", "partNumber", "uploads", "tagging", "delete", "location", "versioning", "lifecycle", "retention", "legal-hold", "acl", "policy", "versionId", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Algorithm", "X-Amz-SignedHeaders", "response-content-type", "limit", "cursor", "customer_id", "from_id", "to_id", "from", "to", "top", "format", "region_id", "%00", "%ff", ""];

/** The raw query with one hostile change. */
export function mutateQuery(rng: Rng, query: string): { query: string; what: string } {
  const parts = query === "" ? [] : query.split("&");
  switch (rng.int(6)) {
    case 0: {
      if (parts.length === 0) return { query: "a=1&a=2", what: "dup" };
      const p = rng.pick(parts);
      return { query: [...parts, p, ...(rng.chance(0.3) ? [p] : [])].join("&"), what: `duplicate ${p.slice(0, 20)}` };
    }
    case 1: {
      // 1500 short parameters stay under Node's 16 KiB header limit; 9000 do not (431).
      const n = rng.pick([200, 1500, 9000]);
      return { query: [...parts, ...Array.from({ length: n }, (_, i) => `p${i}=`)].join("&"), what: `huge ${n} params` };
    }
    case 2: {
      const v = rng.pick(QUERY_VALUES);
      if (parts.length === 0) return { query: `${rng.pick(QUERY_NAMES)}=${v}`, what: "value" };
      const i = rng.int(parts.length);
      parts[i] = `${parts[i]!.split("=")[0]}=${v}`;
      return { query: parts.join("&"), what: `value ${parts[i]!.slice(0, 30)}` };
    }
    case 3: {
      const name = rng.pick(QUERY_NAMES);
      return { query: [...parts, `${name}=${rng.pick(QUERY_VALUES)}`].join("&"), what: `add ${name}` };
    }
    case 4:
      return { query: [...parts, rng.pick(["%", "=", "&&&", "=%", "a=%E0%A4%A", "%ff=1", "a%00=1", "?=?", "a==b", ";", "#"])].join("&"), what: "broken encoding" };
    default:
      return { query: parts.filter(() => rng.chance(0.5)).join("&"), what: "drop params" };
  }
}

const BOGUS_HEADERS: [string, () => string][] = [
  ["x-amz-foo", () => "bar"],
  ["x-amz-date", () => "not-a-date"],
  ["x-amz-date", () => "19700101T000000Z"],
  ["x-amz-date", () => "29991231T235959Z"],
  ["x-amz-content-sha256", () => "garbage"],
  ["x-amz-content-sha256", () => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"],
  ["x-amz-content-sha256", () => "STREAMING-UNSIGNED-PAYLOAD-TRAILER"],
  ["x-amz-decoded-content-length", () => "-5"],
  ["x-amz-trailer", () => "x-amz-checksum-crc32"],
  ["x-amz-checksum-crc32", () => "!!!!"],
  ["x-amz-meta-evil", () => "\u00ff\u00fe"],
  ["x-amz-meta-", () => "empty name"],
  ["x-amz-tagging", () => "a=%ff&b"],
  ["x-amz-copy-source", () => "/../../etc/passwd"],
  ["x-amz-copy-source", () => "%ff"],
  ["x-amz-copy-source-range", () => "bytes=9-1"],
  ["x-amz-metadata-directive", () => "DESTROY"],
  ["x-amz-object-lock-mode", () => "COMPLIANCE"],
  ["x-amz-object-lock-retain-until-date", () => "2099-13-45"],
  ["x-amz-object-lock-legal-hold", () => "MAYBE"],
  ["x-amz-bypass-governance-retention", () => "true"],
  ["x-amz-storage-class", () => "GLACIER_IR_PLUS"],
  ["x-amz-server-side-encryption", () => "aws:kms"],
  ["x-amz-expected-bucket-owner", () => "123"],
  ["x-amz-security-token", () => "x".repeat(3000)],
  ["x-customer-id", () => "fz-bravo"],
  ["x-customer-id", () => "../fz-alpha"],
  ["x-customer-id", () => "\u00ff"],
  ["x-s3gw-routed-customer", () => "fz-bravo"],
  ["x-s3gw-forwarded-proof", () => "t=1,v1=00"],
  ["x-forwarded-for", () => "1.2.3.4, ::1, garbage"],
  ["x-source-country", () => "KP"],
  ["range", () => "bytes=5-1"],
  ["range", () => "bytes=0-1,3-4"],
  ["range", () => "bytes=-0"],
  ["range", () => "bytes=99999999999999999999-"],
  ["if-match", () => "*"],
  ["if-none-match", () => "\"nope\""],
  ["if-modified-since", () => "yesterday"],
  ["if-unmodified-since", () => "Thu, 01 Jan 1970 00:00:00 GMT"],
  ["content-md5", () => "garbage=="],
  ["content-type", () => "application/json; charset=utf-99"],
  ["content-encoding", () => "aws-chunked"],
  ["content-encoding", () => "gzip"],
  ["accept", () => "application/json"],
  ["accept-encoding", () => "br, gzip"],
  ["host", () => "evil.example"],
  ["host", () => ""],
  ["x-amz-user-agent", () => "fuzz"],
  ["x-amz-request-payer", () => "requester"],
];

/** Adds 1-3 bogus headers; `node:http` refuses control characters, so none are used. */
export function bogusHeaders(rng: Rng): { headers: Record<string, string>; what: string } {
  const out: Record<string, string> = {};
  for (const [k, v] of rng.some(BOGUS_HEADERS, 3)) out[k] = v();
  return { headers: out, what: `headers ${Object.keys(out).join(",")}` };
}

/** Authorization values that are wrong in every way but one. */
export function brokenAuthorization(rng: Rng, akid: string): string {
  const scope = `${akid}/20240101/us-east-1/s3/aws4_request`;
  return rng.pick([
    "",
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA256 Credential=",
    `AWS4-HMAC-SHA256 Credential=${scope}`,
    `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=zz`,
    `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=, Signature=${"0".repeat(64)}`,
    `AWS4-HMAC-SHA256 Credential=${akid}/20240101/us-east-1/s3/aws4_request/extra, SignedHeaders=host;x-amz-date, Signature=${"a".repeat(64)}`,
    `AWS4-HMAC-SHA256 Credential=${akid}//us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${"a".repeat(64)}`,
    `AWS4-HMAC-SHA256 Credential=${"A".repeat(5000)}/x/y/z/aws4_request, SignedHeaders=host, Signature=${"a".repeat(64)}`,
    `AWS4-HMAC-SHA256 Credential=S3GW%00AAAAAAAAAAAAAA/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${"a".repeat(64)}`,
    `AWS4-HMAC-SHA256 Credential=${scope},Credential=${scope}, SignedHeaders=host, Signature=${"a".repeat(64)}`,
    `AWS4-HMAC-SHA512 Credential=${scope}, SignedHeaders=host, Signature=${"a".repeat(128)}`,
    `AWS ${akid}:c2lnbmF0dXJl`,
    "Bearer test-admin-token-0123456789abcdef",
    "Basic YWRtaW46YWRtaW4=",
    `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=${"x-amz-a;".repeat(500)}host, Signature=${"a".repeat(64)}`,
  ]);
}

/** A presigned-style query that is broken: the router and region must refuse it cleanly. */
export function brokenPresignQuery(rng: Rng, akid: string): string {
  const cred = encodeURIComponent(`${akid}/20240101/us-east-1/s3/aws4_request`);
  return rng.pick([
    `X-Amz-Credential=${cred}`,
    `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${cred}&X-Amz-Date=20240101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=${"0".repeat(64)}`,
    `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%ff&X-Amz-Date=x&X-Amz-Expires=-1&X-Amz-SignedHeaders=&X-Amz-Signature=`,
    `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${cred}&X-Amz-Credential=${cred}&X-Amz-Date=20240101T000000Z&X-Amz-Expires=99999999999&X-Amz-SignedHeaders=host&X-Amz-Signature=${"0".repeat(64)}`,
    `AWSAccessKeyId=${akid}&Expires=1&Signature=abc`,
    `X-Amz-Credential=${encodeURIComponent("\u0000")}`,
    `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${cred}&X-Amz-Date=20240101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host%3Bx-amz-meta-a&X-Amz-Signature=${"0".repeat(64)}`,
  ]);
}

const HOSTILE_STRINGS = () => ["a\u0000b", "\ud800", "x\udfffy", "\u202e", "%00", "../../etc/passwd", "<script>alert(1)</script>", "'; drop table customers; --", "\uffff", "😀".repeat(100), "", " ", "x".repeat(1 << 20), "\r\n", "\\u0000"];
const WRONG_TYPES = (): unknown[] => [0, -1, 1.5, 1e308, -1e308, 2 ** 63, true, false, null, [], {}, ["x"], { $ne: 1 }, [null], "", "9".repeat(400), "true", "null"];

const deepJson = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

/** A JSON body with one hostile change, as bytes (some changes are not JSON at all). */
export function mutateJson(rng: Rng, base: Record<string, unknown>, keep: readonly string[] = []): { body: Buffer; what: string } {
  const fields = Object.keys(base).filter((k) => !keep.includes(k));
  const field = fields.length ? rng.pick(fields) : "zz";
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
  const choice = rng.int(10);
  switch (choice) {
    case 0: {
      const v = rng.pick(WRONG_TYPES());
      return { body: enc({ ...base, [field]: v }), what: `${field}: ${JSON.stringify(v)?.slice(0, 20)}` };
    }
    case 1:
    case 2: {
      const v = rng.pick(HOSTILE_STRINGS());
      return { body: enc({ ...base, [field]: v }), what: `${field}: hostile string ${JSON.stringify(v.slice(0, 12))}` };
    }
    case 3: {
      const { [field]: _dropped, ...rest } = base;
      return { body: enc(rest), what: `without ${field}` };
    }
    case 4: {
      const extra = rng.pick(['"__proto__":{"admin":true}', '"constructor":{"prototype":{"x":1}}', '"zz":1', `"${field}":"dup"`, '"\\u0000":1', '"\\ud800":"k"']);
      const text = JSON.stringify(base);
      return { body: Buffer.from(text === "{}" ? `{${extra}}` : `${text.slice(0, -1)},${extra}}`), what: `extra ${extra.slice(0, 20)}` };
    }
    case 5: {
      const n = rng.pick([64, 1000, 10_000, 100_000]);
      const nested = rng.chance(0.5) ? deepJson(n) : deepObject(n);
      const text = JSON.stringify({ ...base, [field]: "@@" }).replace('"@@"', nested);
      return { body: Buffer.from(text), what: `${field}: nested ${n}` };
    }
    case 6: {
      const text = JSON.stringify({ ...base, [field]: "@@" });
      const [a, b] = text.split("@@") as [string, string];
      const bad = rng.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]]);
      return { body: Buffer.concat([Buffer.from(a), Buffer.from(bad), Buffer.from(b)]), what: `${field}: invalid UTF-8` };
    }
    case 7:
      return { body: Buffer.from(rng.pick(["", "{", "}", "null", "[]", "\"s\"", "1e999", "{\"a\":1}}", "\ufeff{}", "{'a':1}", "NaN", "{\"a\":1,}", "\u0000"])), what: "not an object" };
    case 8:
      return { body: Buffer.concat([Buffer.from("{\"pad\":\""), Buffer.alloc(rng.pick([100_000, 2_000_000]), 0x61), Buffer.from("\"}")]), what: "huge body" };
    default:
      return { body: Buffer.from(JSON.stringify(base), rng.chance(0.5) ? "utf16le" : "latin1"), what: "re-encoded" };
  }
}

const BILLION_LAUGHS = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>`;
// Only file: and loopback, never another host: the fuzz sends nothing off this machine.
const XXE = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd"><!ENTITY net SYSTEM "http://127.0.0.1:9/">]>`;

/** An XML body with one hostile change. */
export function mutateXml(rng: Rng, base: string): { body: Buffer; what: string } {
  const firstText = /<([A-Za-z]+)>([^<]*)<\/\1>/.exec(base);
  const replaceText = (v: string) => (firstText ? base.replace(firstText[0], `<${firstText[1]}>${v}</${firstText[1]}>`) : `${base}${v}`);
  const root = /^<([A-Za-z]+)/.exec(base)?.[1] ?? "Root";
  switch (rng.int(12)) {
    case 0:
      return { body: Buffer.from(base.slice(0, rng.int(base.length))), what: "truncated" };
    case 1:
      return { body: Buffer.from(replaceText(rng.pick(["&#0;", "a&#0;b", "&#xD800;", "&#xDFFF;", "&#x110000;", "&#xFFFE;", "&#99999999999;", "&#x;", "&#;", "&#1;"]))), what: "char reference" };
    case 2:
      return { body: Buffer.from(`${BILLION_LAUGHS}${replaceText("&lol9;")}`), what: "billion laughs" };
    case 3:
      return { body: Buffer.from(`${XXE}${replaceText(rng.pick(["&ext;", "&net;"]))}`), what: "external entity" };
    case 4: {
      const n = rng.pick([100, 5000, 50_000]);
      return { body: Buffer.from(base.replace(`</${root}>`, `${"<a>".repeat(n)}${"</a>".repeat(n)}</${root}>`)), what: `nested ${n}` };
    }
    case 5: {
      const n = rng.pick([1001, 5000]);
      const inner = base.replace(new RegExp(`^<${root}[^>]*>|</${root}>$`, "g"), "");
      return { body: Buffer.from(`<${root}>${inner.repeat(n)}</${root}>`), what: `repeated x${n}` };
    }
    case 6:
      return { body: Buffer.concat([Buffer.from(`<${root}>`), Buffer.alloc(rng.pick([70_000, 9 * 1024 * 1024]), 0x20), Buffer.from(`</${root}>`)]), what: "huge" };
    case 7: {
      const [a, b] = replaceText("@@").split("@@") as [string, string];
      return { body: Buffer.concat([Buffer.from(a), Buffer.from(rng.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80]])), Buffer.from(b)]), what: "invalid UTF-8" };
    }
    case 8:
      return { body: Buffer.from(replaceText(rng.pick(["", "-1", "99999999999999999999999", "2099-13-45T99:99:99Z", "NaN", "<![CDATA[x]]>", "&undefined;", "&amp;&lt;", "x".repeat(70_000), "\ud800", "<!-- c -- -->", "<?pi x?>"]))), what: "text value" };
    case 9:
      return { body: Buffer.from(rng.pick(["", "<", "<>", "not xml", "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>", `<x:${root} xmlns:x="urn:x"/>`, `\ufeff${base}`, `${base}${base}`, `<${root} a="1" a="2"/>`, "<a></b>"])), what: "malformed" };
    case 10:
      return { body: Buffer.from(base, "utf16le"), what: "utf-16" };
    default:
      return { body: Buffer.from(base.replace(/<(\w+)>/, "<$1 xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\" evil=\"&#0;\">")), what: "attribute" };
  }
}
