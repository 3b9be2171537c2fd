import { AppError } from "../errors.ts";

/** The errors S3 answers for SSE-KMS key problems (AWS's codes; 400 as S3 answers them). */
export const kmsError = {
  notFound: (keyId: string) => new AppError("KMS.NotFoundException", 400, `Invalid keyId ${keyId}`),
  disabled: (keyId: string) => new AppError("KMS.DisabledException", 400, `${keyId} is disabled.`),
  invalidState: (keyId: string, state: string) => new AppError("KMS.KMSInvalidStateException", 400, `${keyId} is ${state}.`),
  /** A wrapped data key that does not unwrap (altered, or stored beside another customer's or key's blob). */
  invalidCiphertext: (keyId: string) => new AppError("KMS.InvalidCiphertextException", 400, `The wrapped data key under ${keyId} does not authenticate.`),
};
