import { formatBytes } from "@s3gw/core";
import { html } from "hono/html";
import { input, submit } from "../layout/forms.ts";

/** GET /api/customers/:id/info. */
export interface CustomerInfo {
  customer_id: string; customer_name: string; region: string; country: string; legal_zone: string;
  data_residency_requirement: string; compliance_requirements: string[]; primary_contact_email: string;
  compliance_officer_email: string; legal_basis: string | null; status: string; created_at: string;
  usage: { buckets: number; objects: number; bytes: number };
}

const RESIDENCY_MEANING: Record<string, string> = {
  strict: "bytes stay in the home region's country",
  jurisdiction: "bytes stay in the home region's legal zone",
  flexible: "bytes may be stored anywhere the rules allow",
};

/** Opens a customer by its id, for one known by heart (the list pages through the rest). */
export function openForm(action: string, value: string, error?: string) {
  return html`<section class="card" aria-labelledby="open-title">
    <h2 id="open-title">Open a customer</h2>
    <p>Know the customer's id? Open it directly, without searching the list.</p>
    <form method="get" action="${action}" class="form" role="search">
      ${input({ name: "id", label: "Customer id", value, error, required: true, autocomplete: "off", hint: "2-63 characters of a-z, 0-9 and '-', e.g. acme-corp." })}
      <div class="actions">${submit("Open")}</div>
    </form>
  </section>`;
}

export function customerNav(base: string, active: "profile" | "rules" | "storage" | "access-keys") {
  const link = (href: string, key: typeof active, label: string) =>
    html`<li><a href="${href}" ${key === active ? html`aria-current="page"` : ""}>${label}</a></li>`;
  return html`<nav class="subnav" aria-label="Customer sections"><ul>
    ${link(base, "profile", "Profile")}${link(`${base}/rules`, "rules", "Rules")}${link(`${base}/storage`, "storage", "Storage")}${link(`${base}/access-keys`, "access-keys", "Access keys")}
  </ul></nav>`;
}

export function profile(info: CustomerInfo) {
  return html`<section class="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <dl class="facts">
        <dt>Name</dt><dd>${info.customer_name}</dd>
        <dt>Customer id</dt><dd><code>${info.customer_id}</code></dd>
        <dt>Status</dt><dd>${info.status}</dd>
        <dt>Home region</dt><dd>${info.region}</dd>
        <dt>Country</dt><dd>${info.country} (legal zone ${info.legal_zone})</dd>
        <dt>Residency requirement</dt><dd data-testid="residency"><strong>${info.data_residency_requirement}</strong>: ${RESIDENCY_MEANING[info.data_residency_requirement] ?? ""}</dd>
        <dt>Compliance requirements</dt><dd>${info.compliance_requirements.length > 0 ? info.compliance_requirements.join(", ") : "none recorded"}</dd>
        <dt>Legal basis</dt><dd>${info.legal_basis ?? "not recorded"}</dd>
        <dt>Primary contact</dt><dd>${info.primary_contact_email}</dd>
        <dt>Compliance officer</dt><dd>${info.compliance_officer_email}</dd>
        <dt>Registered</dt><dd><time datetime="${info.created_at}">${info.created_at.slice(0, 10)}</time></dd>
      </dl>
    </section>
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage</h2>
      <div class="cards">
        <div class="card"><span class="stat" data-testid="usage-buckets">${info.usage.buckets}</span><span class="stat-label">buckets</span></div>
        <div class="card"><span class="stat" data-testid="usage-objects">${info.usage.objects}</span><span class="stat-label">objects</span></div>
        <div class="card"><span class="stat" data-testid="usage-bytes">${formatBytes(info.usage.bytes)}</span><span class="stat-label">stored (${info.usage.bytes} bytes)</span></div>
      </div>
    </section>`;
}
