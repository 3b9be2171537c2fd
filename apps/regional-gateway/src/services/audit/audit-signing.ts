import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * The region's audit signing key: Ed25519, from its configuration only (never the database,
 * so whoever can rewrite the database cannot forge a checkpoint). Holds the private key and
 * the public key auditors verify with.
 */
export class AuditSigner {
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  /** SHA-256 (hex) of the DER SubjectPublicKeyInfo, to tell keys apart after a rotation. */
  readonly fingerprint: string;
  private readonly privateKey: KeyObject;

  constructor(privateKey: KeyObject) {
    if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "ed25519") {
      throw new Error(`the audit signing key must be an Ed25519 private key (got ${privateKey.asymmetricKeyType ?? "unknown"} ${privateKey.type})`);
    }
    this.privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
    this.publicKeyPem = this.publicKey.export({ type: "spki", format: "pem" }).toString();
    this.fingerprint = createHash("sha256").update(this.publicKey.export({ type: "spki", format: "der" })).digest("hex");
  }

  /** From PEM text (literal `\n` escapes allowed, for one-line environment variables). */
  static fromPem(pem: string): AuditSigner {
    return new AuditSigner(createPrivateKey(pem.includes("\\n") ? pem.replace(/\\n/g, "\n") : pem));
  }

  static fromFile(path: string): AuditSigner {
    return AuditSigner.fromPem(readFileSync(path, "utf8"));
  }

  /** Ed25519 over the payload's UTF-8 bytes, base64. */
  sign(payload: string): string {
    return sign(null, Buffer.from(payload, "utf8"), this.privateKey).toString("base64");
  }

  verify(payload: string, signatureBase64: string): boolean {
    try {
      return verify(null, Buffer.from(payload, "utf8"), this.publicKey, Buffer.from(signatureBase64, "base64"));
    } catch {
      return false;
    }
  }
}
