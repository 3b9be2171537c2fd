import { Agent, request } from "node:http";
import { connect } from "node:net";

/** How the body goes on the wire. `cl-*` and `te+cl` are written on a raw socket, framing broken on purpose. */
export type Framing = "length" | "chunked" | "expect" | "cl-short" | "cl-long" | "te+cl";

export interface FuzzRequest {
  index: number;
  /** "global" or a region id: which process the request is sent to. */
  layer: string;
  /** Catalogue entry (an S3 operation name or "METHOD /route"). */
  route: string;
  /** What was done to the request, for the report. */
  mutations: string[];
  method: string;
  /** The raw request target, sent byte for byte. */
  target: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
  framing: Framing;
}

export interface FuzzAnswer {
  /** HTTP status, or 0 when no status line arrived. */
  status: number;
  /** "ok", "reset" (connection failed without a status), "timeout" (no status in time). */
  outcome: "ok" | "reset" | "timeout";
  error?: string;
  /** The start of the answer's body, for the report. */
  text: string;
  requestId?: string;
}

const ANSWER_TIMEOUT_MS = 20_000;
/** A declared length longer than the body: the server rightly waits for the rest; give it this long to answer early. */
const SHORT_BODY_WAIT_MS = 1500;
const KEEP_TEXT = 2048;
const READ_AT_MOST = 512 * 1024;

/** Which requests a pooled socket carried before, to explain a reset on a reused connection. */
const socketHistory = new WeakMap<object, number[]>();
const agents = new Map<string, Agent>();
const agentFor = (host: string) => {
  let a = agents.get(host);
  if (!a) agents.set(host, (a = new Agent({ keepAlive: true, maxSockets: 16 })));
  return a;
};
export const closeAgents = () => {
  for (const a of agents.values()) a.destroy();
  agents.clear();
};

export function sendFuzz(base: string, req: FuzzRequest): Promise<FuzzAnswer> {
  return req.framing === "cl-short" || req.framing === "cl-long" || req.framing === "te+cl" ? sendRaw(base, req) : sendHttp(base, req);
}

function sendHttp(base: string, req: FuzzRequest): Promise<FuzzAnswer> {
  const url = new URL(base);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (a: FuzzAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // An answer before the whole body was sent (an early refusal, Expect without 100): this
      // socket has a half-sent request on it and must never go back to the pool.
      if (!r.writableFinished) r.destroy();
      resolve(a);
    };
    const headers: Record<string, string | string[]> = { ...req.headers };
    if (req.framing === "chunked") {
      delete headers["content-length"];
      headers["transfer-encoding"] = "chunked";
    }
    else if (headers["content-length"] === undefined) headers["content-length"] = String(req.body.length);
    if (req.framing === "expect") headers.expect = "100-continue";
    let r: ReturnType<typeof request>;
    try {
      r = request({ host: url.hostname, port: url.port, method: req.method, path: req.target, headers, agent: agentFor(url.host), setHost: headers.host === undefined }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => finish({ status: res.statusCode ?? 0, outcome: "ok", text: Buffer.concat(chunks).toString("latin1").slice(0, KEEP_TEXT), requestId: String(res.headers["x-amz-request-id"] ?? res.headers["x-request-id"] ?? "") || undefined });
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= KEEP_TEXT * 2) chunks.push(c);
          // Big answers (exports, listings) are not needed whole: the status is what is judged.
          if (size > READ_AT_MOST) {
            done();
            res.destroy();
          }
        });
        res.on("end", done);
        res.on("error", done);
        res.on("close", done);
      });
    } catch (err) {
      resolve({ status: 0, outcome: "reset", error: `not sendable: ${(err as Error).message}`, text: "" });
      return;
    }
    const timer = setTimeout(() => {
      finish({ status: 0, outcome: "timeout", text: "" });
      r.destroy();
    }, ANSWER_TIMEOUT_MS);
    r.on("socket", (sock) => {
      const h = socketHistory.get(sock) ?? [];
      h.push(req.index);
      socketHistory.set(sock, h);
    });
    r.on("error", (err) => {
      const before = r.socket ? (socketHistory.get(r.socket) ?? []).slice(0, -1) : [];
      const reused = r.reusedSocket ? ` on a reused connection (after #${before.slice(-3).join(", #")})` : "";
      finish({ status: 0, outcome: "reset", error: `${(err as NodeJS.ErrnoException).code ?? err.message}${reused}`, text: "" });
    });
    if (req.framing === "expect") {
      // As curl does: send the body on 100 Continue, or after a second without an answer.
      let sent = false;
      const go = () => {
        if (sent || settled) return;
        sent = true;
        r.end(req.body);
      };
      r.on("continue", go);
      r.on("response", () => (sent = true));
      setTimeout(go, 1000).unref();
      r.flushHeaders();
    } else if (req.framing === "chunked") {
      for (let i = 0; i < req.body.length; i += 8192) r.write(req.body.subarray(i, i + 8192));
      r.end();
    } else {
      r.end(req.body);
    }
  });
}

/** Hand-written HTTP/1.1 for framings node:http refuses to produce; only the status line is read. */
function sendRaw(base: string, req: FuzzRequest): Promise<FuzzAnswer> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let settled = false;
    let got = Buffer.alloc(0);
    const finish = (a: FuzzAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(a);
    };
    const parse = (): FuzzAnswer | undefined => {
      const text = got.toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m) return undefined;
      const id = /\r\nx-(?:amz-)?request-id: *([^\r\n]+)/i.exec(text)?.[1];
      return { status: Number(m[1]), outcome: "ok", text: text.slice(0, KEEP_TEXT), requestId: id };
    };
    const wait = req.framing === "cl-long" ? SHORT_BODY_WAIT_MS : ANSWER_TIMEOUT_MS;
    const timer = setTimeout(() => finish(parse() ?? { status: 0, outcome: "timeout", text: "" }), wait);
    socket.on("data", (c: Buffer) => {
      got = Buffer.concat([got, c]);
      // The whole head (and a little body) is enough to report.
      if (got.indexOf("\r\n\r\n") >= 0 && (got.length > 600 || /^HTTP\/1\.[01] \d{3}/.test(got.toString("latin1")))) {
        setTimeout(() => finish(parse() ?? { status: 0, outcome: "reset", text: got.toString("latin1").slice(0, KEEP_TEXT) }), 50);
      }
    });
    socket.on("error", (err: NodeJS.ErrnoException) => finish(parse() ?? { status: 0, outcome: "reset", error: err.code ?? err.message, text: "" }));
    socket.on("close", () => finish(parse() ?? { status: 0, outcome: "reset", error: "closed", text: "" }));
    socket.on("connect", () => {
      const lines = [`${req.method} ${req.target} HTTP/1.1`];
      const headers = { ...req.headers };
      if (headers.host === undefined) headers.host = url.host;
      const len = req.body.length;
      if (req.framing === "cl-short") headers["content-length"] = String(Math.max(0, len - 1 - (req.index % 7)));
      if (req.framing === "cl-long") headers["content-length"] = String(len + 1 + (req.index % 1000));
      if (req.framing === "te+cl") {
        headers["content-length"] = String(len);
        headers["transfer-encoding"] = "chunked";
      }
      headers.connection = "close";
      for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
      socket.write(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), req.body]));
    });
  });
}
