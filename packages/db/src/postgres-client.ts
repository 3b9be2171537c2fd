import postgres from "postgres";

/**
 * Every postgres.js client the apps open goes through here, so the options that keep a
 * dropped connection from taking the process down are set once.
 *
 * `fetch_types: false`: by default postgres.js runs a pg_type catalog query as the first
 * statement of each new connection and discards its promise (porsager/postgres#1192,
 * #1205, #1223, open upstream). A connection destroyed during that query (a server
 * restart, a pool closed under load, a terminated backend) then rejects with nobody
 * listening: an unhandled rejection, which exits a Node process. We use no array-typed
 * columns or array results, so the catalog query buys nothing.
 */
export function postgresClient(url: string, options: postgres.Options<Record<string, postgres.PostgresType>> = {}): postgres.Sql {
  const { url: target, path } = socketOf(url);
  return postgres(target, { onnotice: () => {}, ...options, ...(path ? { path } : {}), fetch_types: false });
}

/**
 * libpq's way of naming a Unix socket in a URL, `…?host=/var/run/postgresql`, which
 * postgres.js would send to the server as a setting: the socket file in that directory
 * (`.s.PGSQL.<port>`), and the URL without the parameter.
 */
export function socketOf(url: string): { url: string; path?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  const dir = parsed.searchParams.get("host");
  if (!dir?.startsWith("/")) return { url };
  parsed.searchParams.delete("host");
  return { url: parsed.toString(), path: `${dir.replace(/\/+$/, "")}/.s.PGSQL.${parsed.port || 5432}` };
}
