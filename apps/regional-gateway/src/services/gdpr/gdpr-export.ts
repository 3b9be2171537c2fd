import type { Readable } from "node:stream";
import type { EncryptionDocument } from "@s3gw/schema-regional";
import type { Deps } from "../../env.ts";
import { objectBytes } from "../encryption/object-bytes.ts";
import { blobKeyOf } from "../encryption/object-sealing.ts";
import type { DsrRow } from "./gdpr.ts";
import { exportLogView, exportObjectView, SUBJECT_LINK, subjectCursor, subjectLogPage, subjectObjectPage, subjectTotals, type Subject, type SubjectCursor } from "./gdpr-subject.ts";

/** Portability exports carry object bytes (base64) only up to this total; beyond it, the bytes stay downloadable over S3. */
export const PORTABILITY_CONTENT_LIMIT = 10 * 1024 * 1024;
const PAGE = 200;

/** Whether a portability export of `bytes` in total embeds the content, and why not if it does not. */
export function contentPolicy(type: DsrRow["requestType"], bytes: number): { included: boolean; note?: string } {
  if (type !== "portability") return { included: false, note: "access export: metadata and operations log only" };
  if (bytes > PORTABILITY_CONTENT_LIMIT) {
    return { included: false, note: `total size ${bytes} bytes exceeds ${PORTABILITY_CONTENT_LIMIT}; fetch each object over S3 (bucket/key/sha256 listed)` };
  }
  return { included: true };
}

/**
 * The machine-readable export of an access or portability request, as JSON text produced page
 * by page: memory stays bounded by one page (plus one object's bytes for portability, which
 * are base64-encoded as they stream) however many objects or log entries the subject has.
 */
export async function* exportDocument(deps: Deps, row: DsrRow): AsyncGenerator<Buffer> {
  const s: Subject = { customerId: row.customerId, dataSubjectId: row.dataSubjectId };
  const now = deps.clock.now();
  const totals = await subjectTotals(deps.db, s);
  const content = contentPolicy(row.requestType, totals.bytes);
  const head = {
    format: "s3gw-dsr-export/1",
    request_id: row.requestId,
    request_type: row.requestType,
    data_subject_id: row.dataSubjectId,
    customer_id: row.customerId,
    region: deps.config.region.region_id,
    generated_at: now.toISOString(),
    subject_link: SUBJECT_LINK,
    content: { ...content, encoding: content.included ? "base64" : null, limit_bytes: PORTABILITY_CONTENT_LIMIT },
  };
  yield text(`${JSON.stringify(head).slice(0, -1)},"objects":[`);

  let objects = 0;
  let embedded = 0;
  let after: SubjectCursor | undefined;
  for (;;) {
    const page = await subjectObjectPage(deps.db, s, after, PAGE);
    for (const o of page) {
      const view = JSON.stringify(exportObjectView(o));
      yield text(objects++ === 0 ? "" : ",");
      // Objects added after the size check must not push the export past the limit.
      // An SSE-C object cannot be opened without its customer's key: its bytes are not embedded.
      const body = content.included && embedded + o.sizeBytes <= PORTABILITY_CONTENT_LIMIT ? await openForExport(deps, o).catch(() => undefined) : undefined;
      if (!body) {
        yield text(content.included ? `${view.slice(0, -1)},"content_base64":null,"content_note":"bytes not embedded"}` : view);
        continue;
      }
      embedded += o.sizeBytes;
      yield text(`${view.slice(0, -1)},"content_base64":"`);
      yield* base64(body);
      yield text(`"}`);
    }
    if (page.length < PAGE) break;
    after = subjectCursor(page[page.length - 1]!);
  }

  yield text(`],"operations_log":[`);
  let entries = 0;
  let afterId = 0;
  for (;;) {
    const page = await subjectLogPage(deps.db, s, afterId, PAGE);
    for (const l of page) yield text(`${entries++ === 0 ? "" : ","}${JSON.stringify(exportLogView(l))}`);
    if (page.length < PAGE) break;
    afterId = page[page.length - 1]!.id;
  }
  yield text(`],"totals":${JSON.stringify({ objects, operations_log_entries: entries, content_bytes_embedded: embedded })}}\n`);
}

const text = (s: string) => Buffer.from(s, "utf8");

/** Base64 in 3-byte-aligned pieces, so the concatenated output is one valid base64 string. */
async function* base64(body: Readable): AsyncGenerator<Buffer> {
  let rest = Buffer.alloc(0);
  for await (const chunk of body) {
    const buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    const n = buf.length - (buf.length % 3);
    if (n) yield text(buf.subarray(0, n).toString("base64"));
    rest = Buffer.from(buf.subarray(n));
  }
  if (rest.length) yield text(rest.toString("base64"));
}

async function openForExport(deps: Deps, o: { customerId: string; storageProviderId: string; storageKey: string; sizeBytes: number; encryption: EncryptionDocument | null }): Promise<Readable> {
  const tenant = await deps.targets.recorded(o.customerId, o.storageProviderId);
  return (await objectBytes(tenant, o, (customerId, enc) => blobKeyOf(deps, customerId, enc, undefined))).body;
}
