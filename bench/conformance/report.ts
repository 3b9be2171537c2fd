// The conformance figures as Markdown: totals, failures per feature and per cause, and (for the
// file the other engineers read while they work) one line per failing test with its cause.
import { featureOf, type TestResult } from "./junit.ts";

export interface RunFacts {
  target: string;
  revision: string;
  suite: string;
  markers: string;
  started: Date;
  seconds: number;
  /** set when the run was cut short (total time bound, pytest crash) */
  note?: string;
}

function count<T>(items: T[], key: (t: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function totals(results: TestResult[]): { passed: number; failed: number; errored: number; skipped: number; total: number } {
  const n = (o: TestResult["outcome"]) => results.filter((r) => r.outcome === o).length;
  return { passed: n("passed"), failed: n("failed"), errored: n("errored"), skipped: n("skipped"), total: results.length };
}

export function summaryLine(results: TestResult[]): string {
  const t = totals(results);
  return `passed ${t.passed} / failed ${t.failed} / errored ${t.errored} / skipped ${t.skipped} / total ${t.total}`;
}

export function renderReport(facts: RunFacts, results: TestResult[], opts: { perTest: boolean }): string {
  const t = totals(results);
  const bad = results.filter((r) => r.outcome === "failed" || r.outcome === "errored");
  const lines = [
    `# S3 conformance (ceph/s3-tests) — ${facts.target}`,
    "",
    `- run: ${facts.started.toISOString().slice(0, 16).replace("T", " ")} UTC, ${Math.round(facts.seconds / 60)} min, commit ${facts.revision}`,
    `- suite: ${facts.suite}`,
    `- selection: \`-m '${facts.markers}'\``,
    ...(facts.note ? [`- NOTE: ${facts.note}`] : []),
    "",
    `**${t.passed} passed** of ${t.total} collected (failed ${t.failed}, errored ${t.errored}, skipped ${t.skipped}).`,
    "",
    "## Per feature",
    "",
    "| feature | tests | passed | failed+errored |",
    "| --- | ---: | ---: | ---: |",
  ];
  const byFeature = new Map<string, TestResult[]>();
  for (const r of results) byFeature.set(featureOf(r.name, r.file), [...(byFeature.get(featureOf(r.name, r.file)) ?? []), r]);
  const features = [...byFeature.entries()].sort((a, b) => totals(b[1]).failed + totals(b[1]).errored - (totals(a[1]).failed + totals(a[1]).errored));
  for (const [feature, rs] of features) {
    const ft = totals(rs);
    lines.push(`| ${feature} | ${ft.total} | ${ft.passed} | ${ft.failed + ft.errored} |`);
  }
  lines.push("", "## Top causes of failure", "", "| cause | tests |", "| --- | ---: |");
  for (const [cause, n] of count(bad, (r) => r.cause).slice(0, 25)) lines.push(`| ${cause.replace(/\|/g, "\\|")} | ${n} |`);
  lines.push("", "## Causes per feature", "");
  for (const [feature, rs] of features) {
    const fb = rs.filter((r) => r.outcome === "failed" || r.outcome === "errored");
    if (fb.length) lines.push(`- **${feature}** (${fb.length}): ${count(fb, (r) => r.cause).slice(0, 6).map(([c, n]) => `${c} ×${n}`).join(", ")}`);
  }
  if (opts.perTest) {
    lines.push("", "## Every failing test", "", "test — outcome — cause — first line of the message", "");
    for (const r of [...bad].sort((a, b) => featureOf(a.name, a.file).localeCompare(featureOf(b.name, b.file)) || a.name.localeCompare(b.name))) {
      lines.push(`- [${featureOf(r.name, r.file)}] ${r.name} — ${r.outcome} — ${r.cause} — ${r.message.replace(/\s+/g, " ").slice(0, 160)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
