import { compileConditions, usesExistingObjectTags, type CompiledCondition, type ConditionContext } from "./conditions.ts";
import { principalTarget, type BucketPolicyDocument, type PolicyPrincipal, type PolicyScope, type StringList } from "./document.ts";
import { wildcardRegExp } from "./wildcard.ts";

/** One request as a bucket policy sees it. The principal is always one of the bucket owner's own. */
export interface PolicyRequest extends ConditionContext {
  /** The access key that signed the request; undefined for the customer itself (trusted-header mode). */
  accessKeyId: string | undefined;
  /** The IAM action name, e.g. `s3:GetObject`. */
  action: string;
  /** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key` (the key literal, as stored). */
  resource: string;
}

export type PolicyDecision = { effect: "Deny" | "Allow"; sid: string | undefined } | { effect: "None" };

interface CompiledStatement {
  sid: string | undefined;
  effect: "Allow" | "Deny";
  principal: (req: PolicyRequest) => boolean;
  action: (action: string) => boolean;
  resource: (resource: string) => boolean;
  condition: CompiledCondition;
}

export interface CompiledPolicy {
  readonly document: BucketPolicyDocument;
  readonly statements: readonly CompiledStatement[];
  /** Whether a statement names s3:ExistingObjectTag/<key>: only then is the addressed object's tag set looked up. */
  readonly usesExistingObjectTags: boolean;
}

const asList = (v: StringList): string[] => (Array.isArray(v) ? v : [v]);

function anyOf(patterns: string[], ignoreCase: boolean): (s: string) => boolean {
  const res = patterns.map((p) => wildcardRegExp(p, { ignoreCase }));
  return (s) => res.some((re) => re.test(s));
}

/**
 * Principal names the requester: `*` and this customer's account name every key of the customer
 * (and the customer itself); a user ARN names one key. NotPrincipal matches exactly, as in IAM:
 * listing a key there exempts that key only, listing the account exempts the customer itself only.
 */
function principalMatcher(p: PolicyPrincipal, scope: PolicyScope, exact: boolean): (req: PolicyRequest) => boolean {
  if (p === "*") return () => true;
  const targets = [...asList(p.AWS ?? []).map((n) => principalTarget(n, scope)), ...asList(p.CanonicalUser ?? []).map(() => ({ kind: "account" as const }))];
  return (req) =>
    targets.some((t) => {
      if (!t) return false;
      if (t.kind === "any") return true;
      if (t.kind === "account") return !exact || req.accessKeyId === undefined;
      return t.accessKeyId === req.accessKeyId;
    });
}

/** Compiles a document that passed `validateBucketPolicy` for the same scope. */
export function compileBucketPolicy(document: BucketPolicyDocument, scope: PolicyScope): CompiledPolicy {
  const statements = document.Statement.map((st): CompiledStatement => {
    const principal = st.Principal !== undefined ? principalMatcher(st.Principal, scope, false) : negate(principalMatcher(st.NotPrincipal!, scope, true));
    // Action names are case-insensitive in IAM; resources (keys) are not.
    const action = st.Action !== undefined ? anyOf(asList(st.Action), true) : negate(anyOf(asList(st.NotAction!), true));
    const resource = st.Resource !== undefined ? anyOf(asList(st.Resource), false) : negate(anyOf(asList(st.NotResource!), false));
    return { sid: st.Sid, effect: st.Effect, principal, action, resource, condition: compileConditions(st.Condition ?? {}) };
  });
  return { document, statements, usesExistingObjectTags: document.Statement.some((st) => usesExistingObjectTags(st.Condition ?? {})) };
}

function negate<T>(f: (x: T) => boolean): (x: T) => boolean {
  return (x) => !f(x);
}

/** IAM's rule within one account: an applicable Deny wins over any Allow; no applicable statement is None. */
export function evaluateBucketPolicy(policy: CompiledPolicy, req: PolicyRequest): PolicyDecision {
  let allow: { effect: "Allow"; sid: string | undefined } | undefined;
  for (const st of policy.statements) {
    if (!st.principal(req) || !st.action(req.action) || !st.resource(req.resource) || !st.condition(req)) continue;
    if (st.effect === "Deny") return { effect: "Deny", sid: st.sid };
    allow ??= { effect: "Allow", sid: st.sid };
  }
  return allow ?? { effect: "None" };
}
