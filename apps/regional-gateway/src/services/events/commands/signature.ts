import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "s3gw-signature";

/** Why a command's signature does not vouch for it. */
export type SignatureRefusal = "CommandUnsigned" | "CommandSignatureMalformed" | "CommandUnknownKey" | "CommandSignatureMismatch";

export type SignatureCheck = { ok: true; keyId: string } | { ok: false; code: SignatureRefusal; reason: string };

const HEADER_RE = /^v1,key=([A-Za-z0-9._-]{1,64}),sig=([0-9a-fA-F]{64})$/;

/**
 * `s3gw-signature: v1,key=<key id>,sig=<hex HMAC-SHA256(key, body)>` over the raw body bytes,
 * exactly as they arrived (never a re-serialisation of the parsed JSON). Several signature
 * headers are refused: which one would count is the kind of ambiguity an attacker uses.
 */
export function verifyCommandSignature(raw: Uint8Array, headerValues: string[], keys: ReadonlyMap<string, Buffer>): SignatureCheck {
  if (headerValues.length === 0) return { ok: false, code: "CommandUnsigned", reason: `no ${SIGNATURE_HEADER} header` };
  if (headerValues.length > 1) return { ok: false, code: "CommandSignatureMalformed", reason: `${headerValues.length} ${SIGNATURE_HEADER} headers` };
  const m = HEADER_RE.exec(headerValues[0]!.trim());
  if (!m) return { ok: false, code: "CommandSignatureMalformed", reason: `${SIGNATURE_HEADER} is not v1,key=<key id>,sig=<64 hex digits>` };
  const keyId = m[1]!;
  const key = keys.get(keyId);
  if (!key) return { ok: false, code: "CommandUnknownKey", reason: `no command key ${keyId}` };
  const expected = createHmac("sha256", key).update(raw).digest();
  if (!timingSafeEqual(expected, Buffer.from(m[2]!, "hex"))) return { ok: false, code: "CommandSignatureMismatch", reason: `the signature does not match the body (key ${keyId})` };
  return { ok: true, keyId };
}
