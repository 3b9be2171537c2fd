import type { Deps } from "../../env.ts";
import type { Customer } from "../access/customers.ts";
import { assertReadable } from "../objects/object-lock.ts";
import type { ObjectRow } from "../objects/objects.ts";
import { enforceContentRules, enforceReadRules, enforceWriteRules } from "./rules-enforcement.ts";

/** What the S3 handlers know about a request when the policy is asked. */
export interface RequestFacts {
  bucket: string;
  key: string;
  /** ISO country from the deployment's edge header, if it sent one. */
  sourceCountry: string | null;
}

/** Before any byte of a write is accepted (residency is checked separately, first). */
export async function checkWrite(deps: Deps, customer: Customer, req: RequestFacts & { contentType: string; declaredSize: number | undefined; storageCountry: string }): Promise<void> {
  await enforceWriteRules(deps, customer, req);
}

/** After the bytes are stored and hashed, before the metadata commit makes them visible. */
export async function checkContent(deps: Deps, customer: Customer, req: RequestFacts & { sha256: string; size: number; bucketId: string }): Promise<void> {
  await enforceContentRules(deps, customer, req);
}

/** Before an object's bytes or metadata are served. */
export async function checkRead(deps: Deps, customer: Customer, req: RequestFacts, row: ObjectRow): Promise<void> {
  assertReadable(row, req.key);
  await enforceReadRules(deps, customer, req, row.storageCountry);
}
