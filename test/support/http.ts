import { request } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Streams a body with an explicit Content-Length over a real socket (fetch would send it chunked). */
export function streamingPut(url: string, headers: Record<string, string>, body: Readable, length: number): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "PUT", headers: { ...headers, "content-length": String(length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    pipeline(body, req).catch(reject);
  });
}
