/**
 * The access key id a SigV4 request claims, from `Authorization: AWS4-HMAC-SHA256
 * Credential=<akid>/<scope>, ...` or a presigned URL's `X-Amz-Credential`. Only routing
 * needs it here: the signature itself is verified in the region, where the secret is.
 */
export function credentialAccessKeyId(authorization: string | undefined, queryCredential: string | undefined): string | undefined {
  if (authorization !== undefined) {
    const m = /^AWS4-HMAC-SHA256\s+(?:.*[\s,])?Credential=([^/,\s]+)\//.exec(authorization.trim());
    if (m) return m[1];
  }
  if (queryCredential !== undefined) {
    const slash = queryCredential.indexOf("/");
    if (slash > 0) return queryCredential.slice(0, slash);
  }
  return undefined;
}
