/** Hono's `:id` path parameters as OpenAPI writes them, `{id}`. */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z_]+)/g, "{$1}");

/**
 * How an app's routes and its document disagree: `missing`, routes the document does not
 * describe; `extra`, operations it describes that the app does not serve. Routes of method ALL
 * (middleware) and those matching `exclude` (not the JSON API) are left out.
 */
export function routeCoverage(
  routes: readonly { method: string; path: string }[],
  paths: Record<string, Record<string, unknown>>,
  exclude: readonly RegExp[],
): { routes: number; missing: string[]; extra: string[] } {
  const served = routes.filter((r) => r.method !== "ALL" && !exclude.some((re) => re.test(r.path)));
  const missing = served.filter((r) => !paths[openApiPath(r.path)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.path}`);
  const keys = new Set(served.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`));
  const extra = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)).filter((k) => !keys.has(k));
  return { routes: served.length, missing, extra };
}
