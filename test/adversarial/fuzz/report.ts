import type { FuzzAnswer, FuzzRequest } from "./http.ts";

export type Outcome = "2xx" | "3xx" | "4xx" | "5xx" | "reset" | "timeout";
const OUTCOMES: Outcome[] = ["2xx", "3xx", "4xx", "5xx", "reset", "timeout"];
/** 5xx answers a hostile request may get: not implemented, and a dependency honestly unavailable. */
const ALLOWED_5XX = new Set([501, 503]);

export interface Offender { req: FuzzRequest; ans: FuzzAnswer; why: string }

const outcomeOf = (a: FuzzAnswer): Outcome => (a.outcome !== "ok" ? a.outcome : (`${Math.floor(a.status / 100)}xx` as Outcome));

/** Counts by layer and status class, the offenders, and every route that was sent. */
export class FuzzReport {
  readonly byLayer = new Map<string, Record<Outcome, number>>();
  readonly byKind = new Map<string, Record<Outcome, number>>();
  readonly statuses = new Map<number, number>();
  readonly routes = new Map<string, number>();
  readonly offenders: Offender[] = [];
  readonly resets: Offender[] = [];
  /** 503s are allowed (a dependency honestly down), but listed: one may hide a real failure. */
  readonly unavailable: Offender[] = [];
  sent = 0;

  private readonly durations: { index: number; route: string; ms: number }[] = [];

  record(req: FuzzRequest, ans: FuzzAnswer, kind: "s3" | "management", ms: number): void {
    this.sent++;
    this.durations.push({ index: req.index, route: req.route, ms });
    const o = outcomeOf(ans);
    for (const [map, k] of [[this.byLayer, req.layer], [this.byKind, kind]] as const) {
      const row = map.get(k) ?? (Object.fromEntries(OUTCOMES.map((x) => [x, 0])) as Record<Outcome, number>);
      row[o]++;
      map.set(k, row);
    }
    this.statuses.set(ans.status, (this.statuses.get(ans.status) ?? 0) + 1);
    this.routes.set(req.route, (this.routes.get(req.route) ?? 0) + 1);
    if (ans.status >= 500 && !ALLOWED_5XX.has(ans.status)) this.offenders.push({ req, ans, why: `HTTP ${ans.status}` });
    // A declared length longer than the body is rightly waited for; anything else must be answered.
    else if (ans.outcome === "timeout" && req.framing !== "cl-long") this.offenders.push({ req, ans, why: "no answer within 20 s" });
    else if (ans.status === 503 && this.unavailable.length < 1000) this.unavailable.push({ req, ans, why: "HTTP 503" });
    else if (ans.outcome === "reset" && this.resets.length < 1000) this.resets.push({ req, ans, why: `${ans.error ?? "reset"} after ${ms} ms` });
  }

  /** The slowest requests: on one event loop, one slow request stalls every other. */
  slowest(n = 5): { index: number; route: string; ms: number }[] {
    return [...this.durations].sort((a, b) => b.ms - a.ms).slice(0, n);
  }

  share(o: Outcome): number {
    let n = 0;
    for (const row of this.byLayer.values()) n += row[o];
    return this.sent ? n / this.sent : 0;
  }

  table(): string {
    const lines = [`| layer | ${OUTCOMES.join(" | ")} | total |`, `| --- |${OUTCOMES.map(() => " ---: |").join("")} ---: |`];
    const total = Object.fromEntries(OUTCOMES.map((x) => [x, 0])) as Record<Outcome, number>;
    const rows = (map: Map<string, Record<Outcome, number>>, order: string[]) => {
      for (const k of order.filter((x) => map.has(x))) {
        const r = map.get(k)!;
        lines.push(`| ${k} | ${OUTCOMES.map((x) => r[x]).join(" | ")} | ${OUTCOMES.reduce((s, x) => s + r[x], 0)} |`);
      }
    };
    rows(this.byLayer, ["global", "FI-HEL", "DE-FRA", "US-EAST"]);
    for (const r of this.byLayer.values()) for (const x of OUTCOMES) total[x] += r[x];
    lines.push(`| **all** | ${OUTCOMES.map((x) => total[x]).join(" | ")} | ${this.sent} |`);
    rows(this.byKind, ["s3", "management"]);
    return lines.join("\n");
  }

  statusLine(): string {
    return [...this.statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s || "none"}:${n}`).join(" ");
  }
}

const show = (s: string, max: number) => JSON.stringify(s.length > max ? `${s.slice(0, max)}…(${s.length})` : s);

/** One request as a reader can replay it: where, what, and what came back. */
export function describe(o: Offender): string {
  const { req, ans } = o;
  const headers = Object.entries(req.headers)
    .map(([k, v]) => `${k}: ${String(v).length > 90 ? `${String(v).slice(0, 90)}…` : String(v)}`)
    .join(" | ");
  const body = req.body.length === 0 ? "(none)" : `${req.body.length} bytes ${show(req.body.subarray(0, 160).toString("latin1"), 160)}`;
  return [
    `#${req.index} ${o.why} on ${req.layer}: ${req.route}`,
    `  ${req.method} ${show(req.target, 300)}  [framing ${req.framing}]`,
    `  headers: ${headers}`,
    `  body: ${body}`,
    `  mutations: ${req.mutations.join("; ")}`,
    `  answer: ${ans.status} ${ans.requestId ? `request-id ${ans.requestId} ` : ""}${show(ans.text.replace(/\s+/g, " "), 400)}`,
  ].join("\n");
}
