import { describe, expect, it } from "vitest";
import { formErrors } from "../../apps/regional-gateway/src/console/layout/api-errors.ts";
import { input, select } from "../../apps/regional-gateway/src/console/layout/forms.ts";
import { paging, table } from "../../apps/regional-gateway/src/console/layout/table.ts";

/** The foundation's page helpers, which every console page builds on: escaping, fields, paging, error mapping. */

const render = async (h: unknown) => String(await h);

describe("formErrors", () => {
  it("puts each zod issue of the API's message next to its field, and the rest in general", () => {
    const body = { error: { code: "BAD_REQUEST", message: "customer_id: Invalid string; rules.max_size: Too big; body: Unrecognized key \"x\"" } };
    const e = formErrors(body, ["customer_id", "rules"]);
    expect(e.fields).toEqual({ customer_id: "Invalid string", rules: "Too big" });
    expect(e.general).toBe('body: Unrecognized key "x"');
  });

  it("maps aliases, joins two issues of one field, and keeps a plain message general", () => {
    expect(formErrors({ error: { message: "data_subject_id: Required; data_subject_id: Too long" } }, ["subject"], { data_subject_id: "subject" }).fields).toEqual({ subject: "Required; Too long" });
    expect(formErrors({ error: { message: "customer acme is not registered" } }, ["customer_id"])).toEqual({ fields: {}, general: "customer acme is not registered" });
    expect(formErrors(undefined, ["a"]).general).toBe("The request was refused.");
  });
});

describe("fields", () => {
  it("label, error and hint are tied to the control; values are escaped", async () => {
    const out = await render(input({ name: "bucket", label: "Bucket", value: `"><script>x</script>`, error: "Too short", hint: "3-63 characters" }));
    expect(out).toContain('<label for="f-bucket">Bucket</label>');
    expect(out).toContain('aria-invalid="true"');
    expect(out).toContain('aria-describedby="f-bucket-hint f-bucket-error"');
    expect(out).toContain('<p class="field-error" id="f-bucket-error">Too short</p>');
    expect(out).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(out).not.toContain("<script>");
  });

  it("a select marks the chosen option and escapes labels", async () => {
    const out = await render(select({ name: "mode", label: "Mode", value: "b", options: [{ value: "a", label: "<A>" }, { value: "b", label: "B" }] }));
    expect(out).toContain('<option value="b" selected>B</option>');
    expect(out).toContain("&lt;A&gt;");
    expect(out).not.toContain("aria-invalid");
  });
});

describe("table and paging", () => {
  it("an empty first page says what to do; later pages link back to the first and on to the next", async () => {
    const empty = await render(table({ caption: "Holds", columns: [{ label: "Key", cell: (r: { k: string }) => r.k }], rows: [], empty: "No holds yet: place one with the form above." }));
    expect(empty).toContain("No holds yet: place one with the form above.");
    expect(empty).not.toContain("<table>");
    const links = paging("http://h/console/holds?customer_id=acme&cursor=abc", "next+1");
    expect(links.next?.href).toBe("/console/holds?customer_id=acme&cursor=next%2B1");
    expect(links.first?.href).toBe("/console/holds?customer_id=acme");
    const full = await render(table({ caption: "Holds", columns: [{ label: "Key", cell: (r: { k: string }) => r.k }], rows: [{ k: "<b>a</b>" }], empty: "-", ...links }));
    expect(full).toContain("<caption>Holds</caption>");
    expect(full).toContain('<th scope="col">Key</th>');
    expect(full).toContain("&lt;b&gt;a&lt;/b&gt;");
    expect(full).toContain('rel="next"');
    expect(paging("http://h/console/holds", null)).toEqual({ next: undefined, first: undefined });
  });
});
