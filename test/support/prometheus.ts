import { expect } from "vitest";

// Shared by the metrics tests of both apps (imported by relative path).

export interface Sample { name: string; labels: Record<string, string>; value: number }

/** A strict reader of the Prometheus text format: any line it cannot parse fails the test. */
export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") types.set(meta[2]!, meta[3]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus exposition: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of m[2] ? m[2].match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? [] : []) {
      const eq = pair.indexOf("=");
      labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1);
    }
    // Go's ParseFloat, as Prometheus uses it: NaN in any case, ±Inf.
    const raw = m[3]!;
    const value = /^nan$/i.test(raw) ? NaN : /^[+-]?inf$/i.test(raw) ? (raw.startsWith("-") ? -Infinity : Infinity) : Number(raw);
    if (Number.isNaN(value) && !/^nan$/i.test(raw)) throw new Error(`bad sample value: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

/**
 * GET {baseUrl}/metrics, asserted to be Prometheus text, parsed; `value(name, labels)` sums the
 * samples of `name` whose labels include `labels`.
 */
export async function scrapeMetrics(baseUrl: string) {
  const res = await fetch(`${baseUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const parsed = parseExposition(text);
  const value = (name: string, labels: Record<string, string> = {}) =>
    parsed.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
  return { text, ...parsed, value };
}
