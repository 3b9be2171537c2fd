// What the global registry publishes (regions and storage providers), and bucket policies as an
// operator sees them (read, and removed by compliance; customers set them through S3).
import type { Command } from "commander";
import { act, table } from "../context.ts";
import { call, seg } from "../http.ts";

interface Region {
  region_id: string;
  name: string;
  country: string;
  legal_zone: string;
  gateway_endpoint: string;
  status: string;
  /** Every gateway of the region with its last probe and circuit (the router's topology). */
  endpoints: { endpoint: string; health: "up" | "down"; circuit: { state: "closed" | "open" } }[];
}

interface Provider {
  provider_id: string;
  provider_type: string;
  region_id: string;
  country: string;
  status: string;
}

const gateways = (r: Region): string => r.endpoints.map((e) => `${e.endpoint} ${e.health}/${e.circuit.state}`).join(", ") || r.gateway_endpoint;

export function registryCommands(program: Command): void {
  program
    .command("regions")
    .description("the regions and storage providers in the global registry (open)")
    .action(
      act(async (ctx) => {
        const [regions, providers] = await Promise.all([
          call<{ regions: Region[] }>(ctx.settings.global, "GET", "/regions", { auth: false }),
          call<{ providers: Provider[] }>(ctx.settings.global, "GET", "/providers", { auth: false }),
        ]);
        ctx.emit({ regions: regions.regions, providers: providers.providers }, () =>
          [
            table(regions.regions, [["region", (r) => r.region_id], ["name", (r) => r.name], ["country", (r) => r.country], ["zone", (r) => r.legal_zone], ["status", (r) => r.status], ["gateways (probe/circuit)", gateways]]),
            "",
            table(providers.providers, [["provider", (p) => p.provider_id], ["type", (p) => p.provider_type], ["region", (p) => p.region_id], ["country", (p) => p.country], ["status", (p) => p.status]]),
          ].join("\n"),
        );
      }),
    );

  const policy = program.command("bucket-policy").description("a customer bucket's policy (customers set it with S3 PutBucketPolicy)");
  policy
    .command("get")
    .description("the bucket's policy document")
    .argument("<customer>", "customer id")
    .argument("<bucket>", "bucket")
    .action(
      act(async (ctx, _o, customer: string, bucket: string) => {
        const doc = await call<unknown>(await ctx.settings.region(), "GET", `/api/customers/${seg(customer)}/buckets/${seg(bucket)}/policy`);
        ctx.emit(doc, () => JSON.stringify(doc, null, 2));
      }),
    );
  policy
    .command("delete")
    .description("remove the bucket's policy (admin, compliance officer)")
    .argument("<customer>", "customer id")
    .argument("<bucket>", "bucket")
    .action(
      act(async (ctx, _o, customer: string, bucket: string) => {
        await call(await ctx.settings.region(), "DELETE", `/api/customers/${seg(customer)}/buckets/${seg(bucket)}/policy`);
        ctx.emit({ customer_id: customer, bucket, deleted: true }, () => `policy of ${bucket} deleted`);
      }),
    );
}
