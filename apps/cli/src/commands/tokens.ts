// Region-local management tokens: the secret is printed once, at creation; lists carry no secret.
import type { Command } from "commander";
import { act, record, table } from "../context.ts";
import { call, seg } from "../http.ts";

interface Token {
  token_id: string;
  name: string;
  role: string;
  customer_id: string | null;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

export function tokenCommands(program: Command): void {
  const tokens = program.command("tokens").description("management tokens of a region (admin)");

  tokens
    .command("create")
    .description("create a token; its secret is shown only now")
    .requiredOption("--name <name>", "what the token is for")
    .requiredOption("--role <role>", "admin, compliance_officer or auditor")
    .option("--customer <id>", "scope the token to one customer")
    .action(
      act(async (ctx, o) => {
        const body = { name: o.name, role: o.role, ...(o.customer ? { customer_id: o.customer } : {}) };
        const t = await call<Token & { token: string }>(await ctx.settings.region(), "POST", "/api/tokens", { body });
        ctx.emit(t, () => `${record(t, ["token_id", "token", "name", "role", "customer_id"])}\nThe token is shown only this once: store it now.`);
      }),
    );

  tokens
    .command("list")
    .description("list tokens (never their secrets)")
    .action(
      act(async (ctx) => {
        const r = await call<{ tokens: Token[] }>(await ctx.settings.region(), "GET", "/api/tokens");
        ctx.emit(r, () =>
          table(r.tokens, [
            ["token id", (t) => t.token_id],
            ["name", (t) => t.name],
            ["role", (t) => t.role],
            ["customer", (t) => t.customer_id],
            ["created", (t) => t.created_at],
            ["revoked", (t) => t.revoked_at],
          ]),
        );
      }),
    );

  tokens
    .command("revoke")
    .description("revoke a token")
    .argument("<token-id>", "the token's id (a UUID)")
    .action(
      act(async (ctx, _o, id: string) => {
        await call(await ctx.settings.region(), "DELETE", `/api/tokens/${seg(id)}`);
        ctx.emit({ token_id: id, revoked: true }, () => `revoked ${id}`);
      }),
    );
}
