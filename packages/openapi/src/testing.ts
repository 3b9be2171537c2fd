// Checks real answers against an OpenAPI 3.1 document: each body against the JSON Schema the
// document gives for its route and status (ajv, draft 2020-12), and which documented JSON
// operations were seen answering. Both apps' tests use it against a started app.
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

type Content = Record<string, { schema?: unknown }>;
export type OpenApiDoc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Content }> }>>;
  components?: unknown;
};

export interface Conformance {
  /** The body's problems against the schema of `method path` at the response's status ([] when it conforms); throws when that status is not described with a JSON schema. */
  check(res: Response, method: string, path: string): Promise<{ status: number; body: unknown; problems: unknown[] }>;
  /** Documented operations with a JSON success response that no check saw succeed, and those no check saw fail with a JSON error. */
  unseen(): { success: string[]; error: string[] };
}

export function conformance(doc: OpenApiDoc): Conformance {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: "doc", components: doc.components });
  const compiled = new Map<string, ValidateFunction>();
  const seen = new Set<string>();
  const schemaOf = (method: string, path: string, status: number) =>
    doc.paths[path]?.[method]?.responses[String(status)]?.content?.["application/json"]?.schema;

  return {
    async check(res, method, path) {
      const key = `${method} ${path} ${res.status}`;
      const schema = schemaOf(method, path, res.status);
      const text = await res.text();
      if (schema === undefined) throw new Error(`${key} is not described with a JSON schema: ${text.slice(0, 300)}`);
      let validate = compiled.get(key);
      if (!validate) compiled.set(key, (validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')))));
      const body: unknown = JSON.parse(text);
      seen.add(`${method} ${path} ${res.status < 400 ? "success" : "error"}`);
      return { status: res.status, body, problems: validate(body) ? [] : [...(validate.errors ?? []), { body: text.slice(0, 2000) }] };
    },
    unseen() {
      const success: string[] = [];
      const error: string[] = [];
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const statuses = Object.keys(op.responses).map(Number);
          const json = (s: number) => schemaOf(method, path, s) !== undefined;
          if (statuses.some((s) => s < 400 && json(s)) && !seen.has(`${method} ${path} success`)) success.push(`${method} ${path}`);
          if (statuses.some((s) => s >= 400 && json(s)) && !seen.has(`${method} ${path} error`)) error.push(`${method} ${path}`);
        }
      }
      return { success, error };
    },
  };
}
