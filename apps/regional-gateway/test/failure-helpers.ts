import { execFileSync } from "node:child_process";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in the test process between the gateway and a real server, so a test can make
 * the server vanish (`cut`: every open connection reset, new ones refused), or hang (`freeze`:
 * connections accepted, no byte forwarded either way), and come back on the same port (`restore`).
 */
export class TcpProxy {
  readonly port: number;
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  private readonly target: { host: string; port: number };

  private constructor(target: { host: string; port: number }, server: Server, port: number) {
    this.target = target;
    this.server = server;
    this.port = port;
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    const proxy = new TcpProxy(target, probe, port);
    probe.close();
    await proxy.listen();
    return proxy;
  }

  private async listen(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.port, "127.0.0.1", () => resolve());
    });
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on("close", () => this.sockets.delete(client));
    client.on("error", () => {});
    if (this.frozen) return; // accepted, never answered: a hung server
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(upstream);
    upstream.on("close", () => { this.sockets.delete(upstream); client.destroy(); });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** The server is gone: open connections reset, new ones refused. */
  async cut(): Promise<void> {
    await new Promise<void>((r) => {
      this.server.close(() => r());
      for (const s of this.sockets) s.resetAndDestroy();
    });
  }

  /** The server hangs: open connections go silent, new ones are accepted and never answered. */
  freeze(): void {
    this.frozen = true;
    for (const s of this.sockets) s.pause();
  }

  /** The server is back: frozen connections are dropped, new ones forwarded. */
  async restore(): Promise<void> {
    if (this.frozen) {
      this.frozen = false;
      for (const s of this.sockets) s.resetAndDestroy();
      return;
    }
    await this.listen();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server.listening ? this.server.close(() => r()) : r()));
  }
}

/** The same database URL, reached through the proxy. */
export function viaProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = "127.0.0.1";
  u.port = String(proxy.port);
  return u.toString();
}

/** Runs a command as root (mount and friends); throws with its stderr. */
export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Whether this process may mount filesystems (root in a container that allows it). */
export function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    sh("mount", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds a promise took, with its value. */
export async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await p;
  return { value, ms: performance.now() - t };
}
