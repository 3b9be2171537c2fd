import { s3Error } from "@s3gw/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env.ts";
import { elements, readXmlDocument, text } from "./xml-body.ts";

const tagElement = z.object({ Key: z.string(), Value: z.string() });

/** A `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` body as pairs; keys and values kept as sent, spaces included. */
export async function readTagSetBody(c: Context<AppEnv>): Promise<[string, string][]> {
  const doc = await readXmlDocument(c);
  const tagging = elements(doc.Tagging);
  if (tagging.length !== 1) throw s3Error("MalformedXML");
  const tagSet = elements(tagging[0]!.TagSet);
  // An empty <TagSet/> parses as "", which is a set with no tags.
  if (tagSet.length === 0 && tagging[0]!.TagSet !== "") throw s3Error("MalformedXML");
  if (tagSet.length > 1) throw s3Error("MalformedXML");
  return elements(tagSet[0]?.Tag).map((t) => {
    const parsed = tagElement.safeParse({ Key: text(t.Key), Value: text(t.Value) });
    if (!parsed.success) throw s3Error("MalformedXML", "Each Tag needs a Key and a Value");
    return [parsed.data.Key, parsed.data.Value];
  });
}
