/** The API's error shape: `{ error: { code, message, requestId } }`. */
export interface ApiErrorBody { error?: { code?: string; message?: string; requestId?: string } }

export interface FormErrors {
  /** Messages by form field name (the zod issue path, dots joined, as the API reports it). */
  fields: Record<string, string>;
  /** What belongs to no field (or to one the form does not show). */
  general: string | undefined;
}

const ISSUE = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*): (.+)$/;

/**
 * Maps an API error to the fields of a form. The API joins zod issues as `path: message; ...`
 * (`body`/`query` for the whole input). `fieldNames` are the form's fields; `aliases` maps an
 * API path onto a field named differently. Issues for other paths go into `general`.
 */
export function formErrors(body: unknown, fieldNames: readonly string[], aliases: Record<string, string> = {}): FormErrors {
  const err = (body as ApiErrorBody | undefined)?.error;
  const message = typeof err?.message === "string" ? err.message : typeof body === "string" && body !== "" ? body : "The request was refused.";
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const part of message.split("; ")) {
    const m = ISSUE.exec(part);
    const path = m?.[1];
    const field = path === undefined ? undefined : (aliases[path] ?? (fieldNames.includes(path) ? path : fieldNames.find((f) => path.startsWith(`${f}.`))));
    if (field !== undefined && m) fields[field] = fields[field] ? `${fields[field]}; ${m[2]}` : m[2]!;
    else rest.push(part);
  }
  return { fields, general: rest.length ? rest.join("; ") : undefined };
}

export const noErrors: FormErrors = { fields: {}, general: undefined };
