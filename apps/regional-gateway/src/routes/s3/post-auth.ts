import { decodePostPolicy, parsePostCredential, postPolicySignature, samePostSignature, s3Error, type PostPolicy } from "@s3gw/core";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { admitCustomer } from "../../middleware/s3-auth.ts";
import { findActiveAccessKey, type ActiveAccessKey } from "../../services/access/access-keys.ts";
import { authorizeS3 } from "./authorize.ts";

const ALGORITHM = "AWS4-HMAC-SHA256";

function required(fields: ReadonlyMap<string, string>, name: string): string {
  const value = fields.get(name);
  if (value === undefined || value === "") throw s3Error("InvalidArgument", `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`);
  return value;
}

/**
 * Authenticates a browser form: the access key named by x-amz-credential, the signature over
 * the base64 policy with that key's SigV4 signing key, then the customer (homed here, active,
 * the one the router routed for) and the key's write permission on the bucket, exactly as for
 * a signed request. Only then is the policy document itself read. A form without a policy would
 * be an anonymous upload, which no bucket here allows.
 */
export async function authenticatePostForm(c: Context<AppEnv>, fields: ReadonlyMap<string, string>, bucket: string): Promise<{ key: ActiveAccessKey; policy: PostPolicy }> {
  const { deps, op } = c.var;
  if (fields.has("awsaccesskeyid") || (fields.has("signature") && !fields.has("x-amz-signature"))) {
    throw s3Error("InvalidRequest", `The authorization mechanism you have provided (AWS signature version 2) is not supported. Please use ${ALGORITHM}.`);
  }
  const policyText = fields.get("policy");
  if (policyText === undefined) {
    if (fields.has("x-amz-credential") || fields.has("x-amz-signature")) required(fields, "policy");
    op.principal = "anonymous";
    throw s3Error("AccessDenied", "Anonymous uploads are not allowed: sign the form's policy with an access key (AWS4-HMAC-SHA256).");
  }
  const algorithm = required(fields, "x-amz-algorithm");
  if (algorithm !== ALGORITHM) throw s3Error("InvalidArgument", `x-amz-algorithm must be ${ALGORITHM}`);
  const credential = parsePostCredential(required(fields, "x-amz-credential"), required(fields, "x-amz-date"));
  const signature = required(fields, "x-amz-signature");
  op.principal = `access-key:${credential.accessKeyId}`;
  const key = await findActiveAccessKey(deps, credential.accessKeyId);
  if (!key) throw s3Error("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
  op.customerId = key.customerId;
  if (!samePostSignature(postPolicySignature(key.secretAccessKey, credential, policyText), signature)) throw s3Error("SignatureDoesNotMatch");
  await admitCustomer(c, key.customerId);
  authorizeS3(key, c.var.s3Operation, { bucket, copySourceBucket: undefined });
  return { key, policy: decodePostPolicy(policyText) };
}
