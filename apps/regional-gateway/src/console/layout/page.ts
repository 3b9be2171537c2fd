import type { Context } from "hono";
import { html } from "hono/html";
import type { ConsoleEnv } from "../session/env.ts";
import { writeFlash } from "../session/store.ts";
import { csrfField } from "../session/csrf.ts";
import { navFor, type NavKey } from "./nav.ts";

export type Html = ReturnType<typeof html>;

export interface PageOptions {
  title: string;
  /** The nav section this page belongs to (highlighted); none for sign-in and error pages. */
  active?: NavKey;
  body: Html;
  status?: 200 | 201 | 400 | 401 | 403 | 404 | 409 | 413 | 422 | 500 | 503;
}

const ROLE_LABEL = { admin: "Admin", compliance_officer: "Compliance officer", auditor: "Auditor" } as const;

/**
 * The console's page shell: header (region, who is signed in and for which customer), the nav
 * of what the role may use, the flash message of the previous action (shown once), main.
 */
export async function page(c: Context<ConsoleEnv>, opts: PageOptions): Promise<Response> {
  const session = c.get("session");
  const region = c.var.deps.config.region;
  const flash = session?.flash ?? null;
  if (session && flash) {
    await writeFlash(c.var.deps, session.hash, null);
    session.flash = null;
  }
  const v = c.var.assetVersion;
  const nav = session
    ? html`<nav class="nav" aria-label="Sections"><ul>${navFor(session.role).map(
        (i) => html`<li><a href="${i.href}"${i.key === opts.active ? html` aria-current="page"` : ""}>${i.label}</a></li>`,
      )}</ul></nav>`
    : "";
  const who = session
    ? html`<div class="who"><span class="role" data-role="${session.role}">${ROLE_LABEL[session.role]}</span>${session.customerId
          ? html` <span class="scope">customer <strong>${session.customerId}</strong></span>`
          : html` <span class="scope">all customers</span>`}
        <form method="post" action="/console/signout" class="inline">${csrfField(c)}<button type="submit" class="link">Sign out</button></form></div>`
    : "";
  const flashBox = flash
    ? html`<div class="flash flash-${flash.kind}" role="${flash.kind === "error" ? "alert" : "status"}">${flash.text}</div>`
    : "";
  return c.html(
    html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · ${region.region_id} console</title>
<link rel="stylesheet" href="/console/assets/console.css?v=${v}">
<script src="/console/assets/console.js?v=${v}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/console"><span class="region">${region.region_id}</span> <span class="brand-name">${region.name} console</span></a>
${who}
</header>
${nav}
<main id="main" tabindex="-1">
${flashBox}
<h1>${opts.title}</h1>
${opts.body}
</main>
</body>
</html>`,
    opts.status ?? 200,
  );
}
