// `node bench/profile-summary.ts <file.cpuprofile> [top]`: where a V8 CPU profile's time went, as
// two markdown tables: self time by area (our packages and apps by folder, each dependency by
// package, Node internals, GC, idle) and the top functions by self time. Used for issue 9's
// "where a GET's time went" (profiles from `BENCH_CPU_PROF_DIR=… npm run bench:small`).
import { readFile } from "node:fs/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error("usage: node bench/profile-summary.ts <file.cpuprofile> [top]");
const top = Number(topArg ?? 30);
const profile = JSON.parse(await readFile(file, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}

/** The area a frame's code belongs to: a dependency's package name, our folder, or a V8/Node bucket. */
function area(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) {
    if (functionName === "(idle)") return "(idle)";
    if (functionName === "(garbage collector)") return "(garbage collector)";
    if (functionName === "(program)") return "(program: native, not attributed)";
    return `(native) ${functionName}`;
  }
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(apps|packages)\/([^/]+)\/src\/(.*)$/.exec(url);
  if (m) {
    const dirs = m[3]!.split("/");
    return `${m[1]}/${m[2]}/${dirs.length > 1 ? dirs.slice(0, Math.min(2, dirs.length - 1)).join("/") : dirs[0]}`;
  }
  return url.replace(/^file:\/\//, "");
}

const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idle = [...selfUs.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)").reduce((a, [, v]) => a + v, 0);
const busy = total - idle;
const areas = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  if (node.callFrame.functionName === "(idle)") continue;
  areas.set(area(node), (areas.get(area(node)) ?? 0) + us);
  const short = node.callFrame.url.replace(/^.*\/(node_modules|apps|packages)\//, "").replace(/^file:\/\//, "");
  const name = `${node.callFrame.functionName || "(anonymous)"} ${short}:${node.callFrame.lineNumber + 1}`;
  functions.set(name, (functions.get(name) ?? 0) + us);
}

const pct = (us: number) => `${((us / busy) * 100).toFixed(1)}%`;
console.log(`profile ${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (${((busy / total) * 100).toFixed(0)}%)\n`);
console.log("| area (self time) | ms | share of busy |\n|---|---:|---:|");
for (const [name, us] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${name} | ${(us / 1000).toFixed(0)} | ${pct(us)} |`);
console.log("\n| function (self time) | ms | share of busy |\n|---|---:|---:|");
for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| \`${name}\` | ${(us / 1000).toFixed(0)} | ${pct(us)} |`);
