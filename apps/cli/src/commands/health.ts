// Region health as the global router sees it, and each region's own /health.
import type { Command } from "commander";
import { act, record, table } from "../context.ts";
import { call, Unreachable } from "../http.ts";

/** A region's own /health (open): its JSON, also when it answers 503; "unreachable" when nothing answers. */
async function probe(base: string): Promise<Record<string, unknown>> {
  try {
    const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5000) });
    return (await res.json()) as Record<string, unknown>;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { status: "unreachable", error: cause?.code ?? (err as Error).message };
  }
}

interface RouterHealth {
  status: string;
  database: string;
  regions: { region_id: string; endpoint: string; status: string }[];
  circuits: { region_id?: string; state: string; consecutive_failures?: number }[];
}

export function healthCommands(program: Command): void {
  program
    .command("health")
    .description("the global router's health and each region's reachability and own /health")
    .option("--region-only", "only the configured regional gateway's /health")
    .action(
      act(async (ctx, o) => {
        if (o.regionOnly) {
          const ep = await ctx.settings.region();
          const h = await probe(ep.url);
          if (h.status === "unreachable") throw new Unreachable(`cannot reach ${ep.url}: ${String(h.error)}`);
          ctx.emit(h, () => record(h));
          if (h.status !== "healthy") process.exitCode = 3;
          return;
        }
        const router = await call<RouterHealth>(ctx.settings.global, "GET", "/health", { auth: false });
        const regions = await Promise.all(router.regions.map(async (r) => ({ ...r, health: await probe(r.endpoint) })));
        const circuit = (id: string) => router.circuits.find((c) => c.region_id === id)?.state ?? "-";
        ctx.emit({ router, regions: regions.map((r) => ({ region_id: r.region_id, health: r.health })) }, () =>
          [
            `global router: ${router.status} (database ${router.database})`,
            table(regions, [
              ["region", (r) => r.region_id],
              ["reachable", (r) => r.status],
              ["circuit", (r) => circuit(r.region_id)],
              ["health", (r) => r.health.status],
              ["database", (r) => r.health.database],
              ["storage", (r) => (r.health.storage as { status?: string } | undefined)?.status],
              ["customers", (r) => r.health.customer_count],
              ["endpoint", (r) => r.endpoint],
            ]),
          ].join("\n"),
        );
        if (router.status !== "healthy" || regions.some((r) => r.health.status !== "healthy")) process.exitCode = 3;
      }),
    );
}
