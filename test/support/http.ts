import { request } from "node:http";
import net from "node:net";
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

/** One request written byte for byte (fetch and node:http would normalise or validate the target). */
export function rawRequest(url: string, head: string, opts: { localAddress?: string; body?: string } = {}): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port), ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, () => {
      sock.write(`${head.replace(/\n/g, "\r\n")}\r\n`);
      if (opts.body) sock.write(opts.body);
    });
    let out = "";
    sock.on("data", (d: Buffer) => {
      out += d.toString("latin1");
      // One complete response is enough (Content-Length framed, as the router's are).
      const end = out.indexOf("\r\n\r\n");
      const len = /content-length: (\d+)/i.exec(out.slice(0, end))?.[1];
      if (end >= 0 && len !== undefined && out.length >= end + 4 + Number(len)) sock.destroy();
    });
    sock.on("close", () => resolve(out));
    sock.on("error", reject);
    setTimeout(() => sock.destroy(), 5_000).unref();
  });
}
