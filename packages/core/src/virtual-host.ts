/** A DNS name a deployment serves virtual-hosted-style S3 under (S3_VIRTUAL_HOST_DOMAIN): lower-case labels. */
export const VIRTUAL_HOST_DOMAIN_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The bucket a virtual-hosted-style request names in its Host (`<bucket>.<domain>[:port]`,
 * case-insensitive, as DNS is), or undefined for any other host: the domain itself, an IP
 * address, another name. Not validated as a bucket name here; the S3 layer does that.
 */
export function virtualHostBucket(host: string | undefined, domain: string | undefined): string | undefined {
  if (host === undefined || domain === undefined || host.startsWith("[")) return undefined;
  const name = host.replace(/:\d{1,5}$/, "").toLowerCase().replace(/\.$/, "");
  const suffix = `.${domain}`;
  if (!name.endsWith(suffix) || name.length === suffix.length) return undefined;
  return name.slice(0, -suffix.length);
}
