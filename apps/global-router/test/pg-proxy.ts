import { createServer, connect, type AddressInfo, type Socket } from "node:net";

interface Link { client: Socket; server: Socket; name: string; silenced: boolean }

export interface PgProxy {
  /** The database URL through the proxy. */
  url: string;
  /** Open connections whose startup message named an application_name starting with `prefix`. */
  named(prefix: string): Link[];
  /** Those connections stop receiving anything from the server, without being closed (a silent partition). */
  silence(prefix: string): number;
  /** Those connections are closed at once, both ways (a dropped connection). */
  drop(prefix: string): number;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of Postgres, so a test can cut or silence one kind of connection of a
 * process (told apart by the application_name in its startup message, sent in clear text on a
 * loopback connection without TLS) while its other connections carry on.
 */
export async function startPgProxy(databaseUrl: string): Promise<PgProxy> {
  const target = new URL(databaseUrl);
  const links = new Set<Link>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const link: Link = { client, server: upstream, name: "", silenced: false };
    links.add(link);
    let first = true;
    client.on("data", (d: Buffer) => {
      if (first) {
        first = false;
        // StartupMessage: length, protocol version, then NUL-separated name/value pairs.
        const fields = d.subarray(8).toString("utf8").split("\0");
        const i = fields.indexOf("application_name");
        link.name = i >= 0 ? (fields[i + 1] ?? "") : "";
      }
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      if (!link.silenced) client.write(d);
    });
    const end = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  const named = (prefix: string) => [...links].filter((l) => l.name.startsWith(prefix));
  return {
    url: url.toString(),
    named,
    silence: (prefix) => named(prefix).map((l) => (l.silenced = true)).length,
    drop: (prefix) =>
      named(prefix).map((l) => {
        l.client.destroy();
        l.server.destroy();
      }).length,
    close: async () => {
      for (const l of links) {
        l.client.destroy();
        l.server.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
