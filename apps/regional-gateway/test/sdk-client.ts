import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { adminAuth, registerWithBuckets } from "./harness.ts";

/** An access key as the API answers its creation (the secret shown once). */
export interface CreatedKey { access_key_id: string; secret_access_key: string }

/** The AWS SDK against a test region, path-style, one attempt (a refusal is never retried away). */
export function sdkClient(baseUrl: string, key: CreatedKey): S3Client {
  return new S3Client({ endpoint: baseUrl, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key } });
}

/** A new access key for the customer, made by the admin. */
export async function createAccessKey(baseUrl: string, customerId: string, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const res = await fetch(`${baseUrl}/api/customers/${customerId}/access-keys`, { method: "POST", headers: { "content-type": "application/json", ...adminAuth }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`access key for ${customerId}: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedKey;
}

/** Registers the customer with its buckets and answers an SDK client on a new key of its own. */
export async function sdkFor(baseUrl: string, customerId: string, buckets: string[]): Promise<S3Client> {
  await registerWithBuckets(baseUrl, customerId, buckets);
  return sdkClient(baseUrl, await createAccessKey(baseUrl, customerId));
}

/** The S3 error's HTTP status and code, or "ok". */
export async function s3Outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof S3ServiceException) return `${e.$metadata.httpStatusCode} ${e.name}`;
    throw e;
  }
}
