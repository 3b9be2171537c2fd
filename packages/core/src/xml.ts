import { XMLBuilder, XMLParser } from "fast-xml-parser";
import type { AppError } from "./errors.ts";

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  suppressEmptyNode: false,
  format: false,
  processEntities: true,
});

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  // Numeric character references too: Go's encoder writes quotes in ETags as &#34;.
  htmlEntities: true,
});

export const S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

/** Serialises `{ Root: {...} }` to an S3 XML document with the XML declaration. */
export function toXml(doc: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(doc)}`;
}

/** Parses an XML request body; throws on malformed input (callers map to MalformedXML). */
export function parseXml(text: string): Record<string, unknown> {
  return parser.parse(text, true) as Record<string, unknown>;
}

export function errorXml(err: AppError, requestId: string): string {
  return toXml({
    Error: {
      Code: err.code,
      Message: err.message,
      ...(err.resource === undefined ? {} : { Resource: err.resource }),
      RequestId: requestId,
    },
  });
}
