import { BlockList, isIP } from "node:net";

/** An IPv4 address written as IPv6 (`::ffff:192.0.2.1`, how a dual-stack socket reports it), as IPv4. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m ? m[1]! : address;
}

/** `192.0.2.0/24`, `2001:db8::/32` or a bare address (a /32 or /128); undefined when not one. */
export function parseCidr(text: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | undefined {
  const slash = text.indexOf("/");
  const address = unmapped(slash < 0 ? text : text.slice(0, slash));
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** A set of networks, for `IpAddress` / `NotIpAddress` on `aws:SourceIp`. */
export class IpSet {
  private readonly list = new BlockList();

  /** Every entry must already have passed `parseCidr`. */
  constructor(cidrs: readonly string[]) {
    for (const text of cidrs) {
      const net = parseCidr(text);
      if (!net) throw new Error(`not a network: ${text}`);
      this.list.addSubnet(net.address, net.prefix, net.family);
    }
  }

  has(address: string): boolean {
    const a = unmapped(address);
    const version = isIP(a);
    return version !== 0 && this.list.check(a, version === 4 ? "ipv4" : "ipv6");
  }
}
