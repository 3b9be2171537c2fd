import { describe, expect, it } from "vitest";
import { listKeys, type ListCursor, decodeCursor, encodeCursor } from "../src/listing.ts";

function source(keys: string[]) {
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let calls = 0;
  const fetch = async (prefix: string, cursor: ListCursor | undefined, limit: number) => {
    calls++;
    return sorted
      .filter((k) => k.startsWith(prefix))
      .filter((k) => !cursor || (cursor.inclusive ? Buffer.compare(Buffer.from(k), Buffer.from(cursor.key)) >= 0 : Buffer.compare(Buffer.from(k), Buffer.from(cursor.key)) > 0))
      .slice(0, limit)
      .map((key) => ({ key }));
  };
  return { fetch, calls: () => calls };
}

async function listAll(keys: string[], prefix: string, delimiter: string | undefined, maxKeys: number) {
  const src = source(keys);
  const pages = [];
  let cursor: ListCursor | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await listKeys({ prefix, delimiter, maxKeys, cursor }, (c, l) => src.fetch(prefix, c, l));
    pages.push({ keys: page.contents.map((c) => c.key), prefixes: page.commonPrefixes, truncated: page.isTruncated });
    if (!page.isTruncated) break;
    cursor = decodeCursor(encodeCursor(page.next!));
  }
  return pages;
}

describe("listKeys", () => {
  const keys = ["a/1", "a/2", "a/b/3", "b", "c/1", "c/2", "d", "é/x", "photos/2024/jan.jpg"];

  it("groups common prefixes with a delimiter", async () => {
    const [page] = await listAll(keys, "", "/", 1000);
    expect(page).toEqual({ keys: ["b", "d"], prefixes: ["a/", "c/", "photos/", "é/"], truncated: false });
  });

  it("paginates keys and prefixes together, each prefix once", async () => {
    const pages = await listAll(keys, "", "/", 2);
    expect(pages.map((p) => [...p.prefixes, ...p.keys].sort())).toEqual([["a/", "b"], ["c/", "d"], ["photos/", "é/"]]);
    expect(pages.map((p) => p.truncated)).toEqual([true, true, false]);
  });

  it("lists under a prefix with nested delimiters", async () => {
    const [page] = await listAll(keys, "a/", "/", 1000);
    expect(page).toEqual({ keys: ["a/1", "a/2"], prefixes: ["a/b/"], truncated: false });
  });

  it("lists flat without delimiter across pages", async () => {
    const pages = await listAll(keys, "", undefined, 4);
    expect(pages.flatMap((p) => p.keys)).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });

  it("does not report truncation when the last page is exactly full", async () => {
    const pages = await listAll(["x", "y"], "", undefined, 2);
    expect(pages).toEqual([{ keys: ["x", "y"], prefixes: [], truncated: false }]);
  });

  it("rejects a forged continuation token", () => {
    expect(() => decodeCursor("not-json")).toThrowError(/continuation token/);
  });
});
