import { Hono, type Context } from "hono";
import { html } from "hono/html";
import { type FormErrors, formErrors, noErrors } from "../layout/api-errors.ts";
import { notFoundPage } from "../layout/errors.ts";
import { redirectWithFlash } from "../layout/flash.ts";
import { page } from "../layout/page.ts";
import { consoleApi, type ConsoleApi } from "../session/api-client.ts";
import { csrfField } from "../session/csrf.ts";
import type { ConsoleEnv } from "../session/env.ts";
import { apiCustomer, apiFailurePage, apiMessage, customerBase, customerIdOf, mayManage } from "../customers/shared.ts";
import { customerNav } from "../customers/views.ts";
import { EMPTY_FORM, formFromView, formValues, putBody, reasonMissing, ROTATE_FIELDS, rotateBody, SAVE_FIELDS, type StorageFormValues } from "./form.ts";
import { storagePageBody } from "./page-body.ts";
import { errorClassIn, failureHint, probeResult, type ProbeView, type StorageView } from "./status.ts";

type Loaded = { view: StorageView | null } | { failed: Response };

/** The configuration, or null when the customer has none yet (a 404 for a customer that exists). */
async function load(c: Context<ConsoleEnv>, api: ConsoleApi, id: string): Promise<Loaded> {
  const res = await api.get<StorageView>(`${apiCustomer(id)}/storage`);
  if (res.status === 200) return { view: res.body };
  if (res.status === 404) {
    // Which 404: no configuration yet, or no such customer? The profile tells them apart.
    const info = await api.get(`${apiCustomer(id)}/info`);
    if (info.status === 200) return { view: null };
    return { failed: await apiFailurePage(c, info) };
  }
  return { failed: await apiFailurePage(c, res) };
}

interface Render { values?: StorageFormValues; saveErrors?: FormErrors; rotateErrors?: FormErrors; notice?: unknown; status?: 200 | 400 | 403 | 409 }

async function render(c: Context<ConsoleEnv>, id: string, r: Render = {}): Promise<Response> {
  const loaded = await load(c, consoleApi(c), id);
  if ("failed" in loaded) return loaded.failed;
  const { view } = loaded;
  const s = c.var.session;
  return page(c, {
    title: `Storage settings · ${id}`,
    active: "customers",
    status: r.status,
    body: html`${customerNav(customerBase(id), "storage")}${storagePageBody({
      customerId: id,
      base: `${customerBase(id)}/storage`,
      view,
      values: r.values ?? (view ? formFromView(view) : EMPTY_FORM),
      saveErrors: r.saveErrors ?? noErrors,
      rotateErrors: r.rotateErrors ?? noErrors,
      canManage: mayManage(s),
      isAdmin: s.role === "admin",
      csrf: csrfField(c),
      notice: r.notice,
    })}`,
  });
}

const reasonNeeded: FormErrors = { fields: { override_reason: "Give a reason for the override: it is recorded in the audit log." }, general: undefined };
const refusal = (status: number): status is 400 | 403 | 409 => status === 400 || status === 403 || status === 409;
/** A refusal that names a probe failure's class also gets that class's hint. */
const hintOf = (body: unknown, status: number) => {
  const cls = status === 409 ? errorClassIn(apiMessage(body, status)) : undefined;
  return cls ? failureHint(cls) : undefined;
};

/**
 * A customer's own bucket (seed 004): status, save (activation needs a passing probe unless an
 * admin overrides with a reason), validate, rotate, disable, and the IAM policy it needs.
 */
export function storagePages(): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();

  r.get("/:id/storage", async (c) => {
    const id = customerIdOf(c);
    return id ? render(c, id) : notFoundPage(c, "No such customer.");
  });

  r.post("/:id/storage/save", async (c) => {
    const id = customerIdOf(c);
    if (!id) return notFoundPage(c, "No such customer.");
    const form = await c.req.parseBody();
    const values = formValues(form);
    if (reasonMissing(form)) return render(c, id, { values, saveErrors: reasonNeeded, status: 400 });
    const res = await consoleApi(c).put<StorageView & { probe?: ProbeView }>(`${apiCustomer(id)}/storage`, putBody(form));
    if (res.status === 200) {
      const saved = html`<div class="flash flash-ok" role="status">Saved. ${res.body.enabled ? "New objects go to the bucket." : "New objects stay in hosted storage."} Secret fingerprint <code>${res.body.target.secret_fingerprint}</code>.</div>`;
      return render(c, id, { notice: html`${saved}${res.body.probe ? probeResult(res.body.probe) : ""}` });
    }
    if (refusal(res.status)) return render(c, id, { values, saveErrors: formErrors(res.body, SAVE_FIELDS), notice: hintOf(res.body, res.status), status: res.status });
    return apiFailurePage(c, res);
  });

  r.post("/:id/storage/validate", async (c) => {
    const id = customerIdOf(c);
    if (!id) return notFoundPage(c, "No such customer.");
    const res = await consoleApi(c).post<ProbeView>(`${apiCustomer(id)}/storage/validate`);
    if (res.status === 200) return render(c, id, { notice: probeResult(res.body) });
    return apiFailurePage(c, res);
  });

  r.post("/:id/storage/rotate", async (c) => {
    const id = customerIdOf(c);
    if (!id) return notFoundPage(c, "No such customer.");
    const form = await c.req.parseBody();
    if (reasonMissing(form)) return render(c, id, { rotateErrors: reasonNeeded, status: 400 });
    const res = await consoleApi(c).post<StorageView & { probe: ProbeView }>(`${apiCustomer(id)}/storage/rotate`, rotateBody(form));
    if (res.status === 200) {
      const done = html`<div class="flash flash-ok" role="status">Credentials rotated. Secret fingerprint <code>${res.body.target.secret_fingerprint}</code>.</div>`;
      return render(c, id, { notice: html`${done}${probeResult(res.body.probe)}` });
    }
    if (refusal(res.status)) return render(c, id, { rotateErrors: formErrors(res.body, ROTATE_FIELDS), notice: hintOf(res.body, res.status), status: res.status });
    return apiFailurePage(c, res);
  });

  r.post("/:id/storage/disable", async (c) => {
    const id = customerIdOf(c);
    if (!id) return notFoundPage(c, "No such customer.");
    const res = await consoleApi(c).del(`${apiCustomer(id)}/storage`);
    const back = `${customerBase(id)}/storage`;
    if (res.status === 204) return redirectWithFlash(c, back, "Customer storage is disabled: new objects go to hosted storage; existing objects stay where they are.");
    return redirectWithFlash(c, back, `Customer storage was not disabled: ${apiMessage(res.body, res.status)}`, "error");
  });

  return r;
}
