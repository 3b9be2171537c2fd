import { Hono } from "hono";
import { html } from "hono/html";
import { page } from "../layout/page.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { overviewData } from "./data.ts";
import { healthSection, trafficSection, workSection } from "./view.ts";

/** The region at a glance: its health, its traffic, and the compliance work waiting. */
export function overviewRoutes(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();
  r.get("/", async (c) => {
    const data = await overviewData(c);
    const scope = c.var.session.customerId;
    return page(c, {
      title: "Overview",
      active: "overview",
      body: html`${healthSection(data)}${workSection(data, scope)}${trafficSection(data)}`,
    });
  });
  return r;
}
