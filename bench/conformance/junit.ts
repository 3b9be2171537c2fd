// Reads pytest's junit XML (one <testcase> per test, with a <failure>, <error> or <skipped>
// child when it did not pass) into plain outcomes, and names why each one failed: the S3 error
// code botocore reports ("An error occurred (NoSuchKey) ..."), else the HTTP status or the
// exception type, so failures can be grouped by cause.

export type Outcome = "passed" | "failed" | "errored" | "skipped";

export interface TestResult {
  name: string;
  /** the suite file's module, e.g. "test_s3" or "test_headers" (from the junit classname) */
  file: string;
  outcome: Outcome;
  seconds: number;
  /** e.g. "NotImplemented", "assert 501 == 200", "Timeout" — empty for passes */
  cause: string;
  /** the first line of pytest's message, for the per-test list */
  message: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return ENTITIES[e] ?? m;
  });
}

function attr(tag: string, name: string): string {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? unescapeXml(m[1]!) : "";
}

/** Why a test failed, as short as can be grouped: an S3 code, an HTTP status, a timeout, an exception type. */
export function causeOf(message: string, detail: string): string {
  const text = `${message}\n${detail}`;
  const code = /An error occurred \(([\w.-]+)\)/.exec(text);
  if (code) return code[1]!;
  if (/Timeout >[\d.]+s/.test(text)) return "Timeout";
  const status = /assert (\d{3}) == (\d{3})/.exec(text);
  if (status) return `HTTP ${status[1]} (expected ${status[2]})`;
  const exc = /^E\s+([\w.]+(?:Error|Exception|Exceeded))\b/m.exec(detail) ?? /^([\w.]+(?:Error|Exception))\b/.exec(message);
  if (exc && exc[1] !== "AssertionError") return exc[1]!.replace(/^.*\./, "");
  return "assertion";
}

export function parseJunit(xml: string): TestResult[] {
  const results: TestResult[] = [];
  const caseRe = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(caseRe)) {
    const head = m[1]!;
    const body = m[3] ?? "";
    const name = attr(head, "name");
    const file = attr(head, "classname").replace(/^.*\./, "");
    const seconds = Number(attr(head, "time") || 0);
    const child = /<(failure|error|skipped)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    if (!child) {
      results.push({ name, file, outcome: "passed", seconds, cause: "", message: "" });
      continue;
    }
    const kind = child[1]!;
    const message = attr(child[2]!, "message");
    const detail = unescapeXml(child[3] ?? "");
    const outcome: Outcome = kind === "failure" ? "failed" : kind === "error" ? "errored" : "skipped";
    const first = (message.split("\n")[0] ?? "").trim().slice(0, 200);
    results.push({ name, file, outcome, seconds, cause: outcome === "skipped" ? "skipped" : causeOf(message, detail), message: first });
  }
  return results;
}

/**
 * The feature a test exercises, from its name: the first keyword that matches, in an order that
 * puts the specific before the general (a versioned multipart copy is "versioning").
 */
const FEATURES: [string, RegExp][] = [
  ["object lock", /object_lock|retention|legal_hold/],
  ["versioning", /versioning|versioned|_version|delete_marker/],
  ["bucket policy", /bucket_policy|policy_status|_policy/],
  ["public access block", /public_access|block_public/],
  ["ownership", /ownership/],
  ["ACL", /acl|grant/],
  ["CORS", /cors/],
  ["POST object", /post_object/],
  ["lifecycle", /lifecycle|_lc_/],
  ["encryption (SSE)", /sse|encrypt|kms/],
  ["checksum", /checksum|crc|sha1|sha256/],
  ["object attributes", /object_attributes|attributes/],
  ["tagging", /tagging|_tags?_|_tag$/],
  ["multipart", /multipart|_part_|_parts/],
  ["copy", /copy/],
  ["conditional requests", /_if_|ifmatch|ifnonematch|if_modified|if_unmodified|conditional/],
  ["presigned / auth", /presign|_auth_|anonymous|unauthenticated|signature|_v2_|_v4_/],
  ["ranges", /range/],
  ["listing", /list|prefix|delimiter|marker|max_keys|encoding/],
  ["bucket create/delete/head", /bucket_create|bucket_delete|bucket_head|bucket_recreate|create_bucket|bucket_naming|_bucket_name|bucketv2/],
  ["object metadata/headers", /metadata|_meta_|header|content_type|response_/],
  ["object get/put/delete", /object/],
];

export function featureOf(name: string, file = "test_s3"): string {
  if (file === "test_headers") return "headers / SigV2 (test_headers.py)";
  const bare = name.replace(/\[.*$/, "");
  for (const [feature, re] of FEATURES) if (re.test(bare)) return feature;
  return "other";
}
