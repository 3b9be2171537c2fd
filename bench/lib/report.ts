// The markdown the small-object benchmark prints and stores: one table per concurrency, memory,
// and the issue's targets at 16 connections, each met or not.
import type { RssReading } from "./proc.ts";
import type { WrkResult } from "./wrk.ts";

export interface EndpointResult {
  id: string;
  label: string;
  /** per connection count */
  runs: Map<number, { get: WrkResult; put: WrkResult; cpu?: { get: Record<string, number>; put: Record<string, number> } }>;
}

export interface SystemResult {
  name: string;
  endpoints: EndpointResult[];
  idle?: RssReading;
  peak?: RssReading;
  /** set when the system could not be measured */
  unavailable?: string;
}

const n0 = (x: number) => x.toFixed(0);
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const mib = (x: number) => `${x.toFixed(0)} MiB`;

function errorsCell(get: WrkResult, put: WrkResult): string {
  const parts = [get.errors && `GET ${get.errors} (${get.errorDetail})`, put.errors && `PUT ${put.errors} (${put.errorDetail})`].filter(Boolean);
  return parts.length ? `**${parts.join("; ")}**` : "0";
}

export function concurrencyTable(systems: SystemResult[], c: number): string {
  const lines = [`### ${c} connection${c === 1 ? "" : "s"}`, "", "| system | GET req/s | GET p50 | GET p99 | PUT req/s | PUT p99 | errors |", "|---|---:|---:|---:|---:|---:|---|"];
  for (const s of systems) {
    if (s.unavailable) {
      lines.push(`| ${s.name}: not available (${s.unavailable}) | — | — | — | — | — | — |`);
      continue;
    }
    for (const e of s.endpoints) {
      const r = e.runs.get(c);
      if (!r) continue;
      lines.push(`| ${e.label} | ${n0(r.get.okPerSecond)} | ${ms(r.get.p50Ms)} ms | ${ms(r.get.p99Ms)} ms | ${n0(r.put.okPerSecond)} | ${ms(r.put.p99Ms)} ms | ${errorsCell(r.get, r.put)} |`);
    }
  }
  return lines.join("\n");
}

/**
 * CPU time per request, by process: a figure the rest of the machine's load disturbs far less
 * than throughput does (a busy neighbour slows a request down, it does not make it cost more).
 */
export function cpuTable(systems: SystemResult[], c: number): string {
  const lines = [
    `### CPU time per request at ${c} connections (ms of CPU, user + system, all threads)`,
    "",
    "| endpoint | GET ms/req | GET by process | PUT ms/req | PUT by process |",
    "|---|---:|---|---:|---|",
  ];
  const each = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ");
  const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0).toFixed(2);
  for (const s of systems) {
    for (const e of s.endpoints) {
      const cpu = e.runs.get(c)?.cpu;
      if (cpu) lines.push(`| ${e.label} | ${sum(cpu.get)} | ${each(cpu.get)} | ${sum(cpu.put)} | ${each(cpu.put)} |`);
    }
  }
  return lines.join("\n");
}

export function memoryTable(systems: SystemResult[]): string {
  const lines = ["### Resident memory (VmRSS), idle after seeding and peak under all the load above", "", "| system | processes | idle | peak under load |", "|---|---|---:|---:|"];
  for (const s of systems) {
    if (!s.idle || !s.peak) continue;
    const each = Object.keys(s.idle.each).map((k) => `${k} ${n0(s.idle!.each[k]!)} / ${n0(s.peak!.each[k]!)}`).join(", ");
    lines.push(`| ${s.name} | ${each} (MiB idle / peak) | ${mib(s.idle.total)} | ${mib(s.peak.total)} |`);
  }
  return lines.join("\n");
}

interface Target { measure: string; value: string; target: string; met: boolean | undefined }

export function targetsTable(systems: SystemResult[], c: number): string {
  const at = (id: string) => systems.flatMap((s) => s.endpoints).find((e) => e.id === id)?.runs.get(c);
  const rgw = at("rgw");
  const pg = at("pg-global");
  const pgDirect = at("pg-direct");
  const emb = at("emb-global");
  const embDirect = at("emb-direct");
  const embSystem = systems.find((s) => s.endpoints.some((e) => e.id === "emb-global"));
  const rows: Target[] = [];
  const ratio = (what: string, a: WrkResult | undefined, b: WrkResult | undefined, min: number, aName: string, bName: string) => {
    if (!a || !b) return rows.push({ measure: what, value: "not measured", target: `≥ ${min.toFixed(1)}`, met: undefined });
    const bad = a.errors || b.errors ? " (a run had errors)" : "";
    const r = b.okPerSecond > 0 ? a.okPerSecond / b.okPerSecond : 0;
    rows.push({ measure: what, value: `${r.toFixed(2)} (${n0(a.okPerSecond)} ${aName} ÷ ${n0(b.okPerSecond)} ${bName})${bad}`, target: `≥ ${min.toFixed(1)}`, met: r >= min && !bad });
  };
  const rgwWhy = systems.find((s) => s.endpoints.length === 0 && s.unavailable && /RGW/.test(s.name))?.unavailable;
  ratio("Postgres-backed GET ÷ RGW GET (via global)", pg?.get, rgw?.get, 0.5, "gateway", "RGW");
  ratio("Postgres-backed PUT ÷ RGW PUT (via global)", pg?.put, rgw?.put, 1.0, "gateway", "RGW");
  const pg2 = at("pg2-global");
  if (pg2) {
    ratio("Postgres-backed GET ÷ RGW GET, 2 FI-HEL processes (via global)", pg2.get, rgw?.get, 0.5, "gateway", "RGW");
    ratio("Postgres-backed PUT ÷ RGW PUT, 2 FI-HEL processes (via global)", pg2.put, rgw?.put, 1.0, "gateway", "RGW");
  }
  if (!rgw && rgwWhy) rows.slice(pg2 ? -4 : -2).forEach((r) => (r.value = `RGW not available (${rgwWhy})`));
  ratio("routing hop GET, Postgres (via global ÷ FI-HEL directly)", pg?.get, pgDirect?.get, 0.8, "global", "direct");
  ratio("routing hop PUT, Postgres (via global ÷ FI-HEL directly)", pg?.put, pgDirect?.put, 0.8, "global", "direct");
  ratio("routing hop GET, embedded (via global ÷ FI-HEL directly)", emb?.get, embDirect?.get, 0.8, "global", "direct");
  ratio("routing hop PUT, embedded (via global ÷ FI-HEL directly)", emb?.put, embDirect?.put, 0.8, "global", "direct");
  ratio("embedded GET ÷ Postgres-backed GET (via global)", emb?.get, pg?.get, 0.7, "embedded", "Postgres");
  ratio("embedded PUT ÷ Postgres-backed PUT (via global)", emb?.put, pg?.put, 0.7, "embedded", "Postgres");
  const plain = at("pgplain-global");
  ratio("encrypted GET ÷ unencrypted GET, Postgres (via global; issue 11)", pg?.get, plain?.get, 0.9, "encrypted", "plaintext");
  ratio("encrypted PUT ÷ unencrypted PUT, Postgres (via global; issue 11)", pg?.put, plain?.put, 0.9, "encrypted", "plaintext");
  const gib = 1024;
  for (const [what, reading] of [["idle", embSystem?.idle], ["peak under load", embSystem?.peak]] as const) {
    rows.push(reading
      ? { measure: `embedded stack RSS, every process of the stack, ${what}`, value: mib(reading.total), target: "< 1024 MiB", met: reading.total < gib }
      : { measure: `embedded stack RSS, every process of the stack, ${what}`, value: "not measured", target: "< 1024 MiB", met: undefined });
  }
  for (const [what, r] of [["Postgres-backed", pg], ["embedded", emb]] as const) {
    rows.push(r
      ? { measure: `GET p99, ${what}, via global`, value: `${ms(r.get.p99Ms)} ms`, target: "< 50 ms", met: r.get.p99Ms < 50 && !r.get.errors }
      : { measure: `GET p99, ${what}, via global`, value: "not measured", target: "< 50 ms", met: undefined });
  }
  const lines = [`### Targets at ${c} connections (issues 9 and 11)`, "", "| measure | value | target | met |", "|---|---|---|---|"];
  for (const r of rows) lines.push(`| ${r.measure} | ${r.value} | ${r.target} | ${r.met === undefined ? "—" : r.met ? "met" : "**not met**"} |`);
  return lines.join("\n");
}

/** Every run that had errors: what the server answered (the first refused body), so it can be reported. */
export function errorsSection(systems: SystemResult[]): string {
  const lines: string[] = [];
  for (const s of systems) {
    for (const e of s.endpoints) {
      for (const [c, r] of e.runs) {
        for (const [op, w] of [["GET", r.get], ["PUT", r.put]] as const) {
          if (w.errors) lines.push(`| ${e.label} | ${c} | ${op} | ${w.errorDetail} of ${w.requests} | ${w.sample ? `\`${w.sample.replace(/\|/g, "\\|").slice(0, 240)}\`` : "—"} |`);
        }
      }
    }
  }
  if (!lines.length) return "No run had errors (every answer 2xx, no socket errors or timeouts).";
  return ["### Runs with errors", "", "| system | connections | op | errors | first refused answer |", "|---|---:|---|---|---|", ...lines].join("\n");
}
