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
  return postgres(url, { onnotice: () => {}, ...options, fetch_types: false });
}
