import { AppError, s3Error } from "../errors.ts";

/**
 * S3's refusals of server-side-encryption request headers, in AWS's codes and words where
 * they are on record (AWS's error table, SDK issue captures, ceph s3-tests). One place, so
 * PutObject, CopyObject, multipart and POST forms all answer alike.
 */
const SSE_C = "Requests specifying Server Side Encryption with Customer provided keys";

export const sseError = {
  /** `x-amz-server-side-encryption` with a value we do not serve (empty, unknown, `aws:kms:dsse`). */
  unsupportedMethod: () => s3Error("InvalidArgument", "The encryption method specified is not supported"),
  /** A KMS key id (or context) without `x-amz-server-side-encryption: aws:kms`. */
  kmsKeyWithoutKms: () =>
    s3Error("InvalidArgument", "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"),
  emptyKmsKeyId: () => s3Error("InvalidArgument", "x-amz-server-side-encryption-aws-kms-key-id must name a key when it is sent"),
  invalidContext: () =>
    s3Error(
      "InvalidArgument",
      "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
    ),
  invalidBucketKeyEnabled: () => s3Error("InvalidArgument", "x-amz-server-side-encryption-bucket-key-enabled must be true or false"),
  /** SSE-C together with `x-amz-server-side-encryption`: one object has one encryption. */
  incompatibleWithSseC: () =>
    s3Error("InvalidArgument", "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"),
  /** Reads take only SSE-C headers: an object's encryption is chosen when it is written. */
  notForReads: () => s3Error("InvalidArgument", "x-amz-server-side-encryption header is not supported for this operation."),
  customerNoAlgorithm: () => s3Error("InvalidArgument", `${SSE_C} must provide a valid encryption algorithm.`),
  // Not in S3_CODES: only SSE-C's algorithm header answers it, with AWS's captured wording.
  customerBadAlgorithm: () => new AppError("InvalidEncryptionAlgorithmError", 400, "The Encryption request you specified is not valid. Supported value: AES256."),
  customerNoKey: () => s3Error("InvalidArgument", `${SSE_C} must provide an appropriate secret key.`),
  customerNoKeyMd5: () => s3Error("InvalidArgument", `${SSE_C} must provide the client calculated MD5 of the secret key.`),
  customerInvalidKey: () => s3Error("InvalidArgument", "The secret key was invalid for the specified algorithm."),
  customerKeyMd5Mismatch: () => s3Error("InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided."),
  customerInsecure: () => s3Error("InvalidRequest", `${SSE_C} must be made over a secure connection.`),

  // What the data path answers when a read's key does not suit the object (for the lead's GET/HEAD/Copy wiring).
  /** An SSE-C object read without its key. */
  customerKeyRequired: () =>
    s3Error("InvalidRequest", "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."),
  /** An SSE-C object read with another key (403, as AWS answers it). */
  customerWrongKey: () => s3Error("AccessDenied", `${SSE_C} must provide the correct secret key.`),
  /** SSE-C headers on a read of an object that is not SSE-C. */
  customerNotApplicable: () => s3Error("InvalidRequest", "The encryption parameters are not applicable to this object."),
  /** An UploadPart whose SSE-C headers do not match its upload's (present vs absent). */
  partEncryptionMissing: () =>
    s3Error("InvalidRequest", "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters."),
  /** An SSE-C write (PutObject, CopyObject, POST, multipart) to a bucket whose configuration blocks SSE-C: 403, as S3 answers. */
  customerBlocked: () =>
    s3Error("AccessDenied", "This bucket has blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C). Please specify a different server-side encryption type"),
  /** An UploadPart with another customer key than its upload's. */
  partEncryptionMismatch: () => s3Error("InvalidRequest", "The provided encryption parameters did not match the ones used originally."),
};
