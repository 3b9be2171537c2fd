/**
 * The one error type of the product. `code` is machine-readable (S3's own codes on the S3
 * API, our codes on the JSON APIs); `status` is the HTTP status it answers with.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly resource: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    status: number,
    message: string,
    opts: { resource?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.status = status;
    this.resource = opts.resource;
    this.headers = opts.headers ?? {};
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** S3 error codes we answer with, their statuses and AWS's default messages. */
const S3_CODES = {
  AccessDenied: [403, "Access Denied"],
  // Browsers (CORS preflight, POST object): S3's own codes for these refusals.
  AccessForbidden: [403, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."],
  BadRequest: [400, "Bad Request"],
  IncorrectNumberOfFilesInPostRequest: [400, "POST requires exactly one file upload per request."],
  InvalidPolicyDocument: [400, "The content of the form does not meet the conditions specified in the policy document."],
  MalformedPOSTRequest: [400, "The body of your POST request is not well-formed multipart/form-data."],
  MaxPostPreDataLengthExceeded: [400, "Your POST request fields preceding the upload file were too large."],
  NoSuchCORSConfiguration: [404, "The CORS configuration does not exist"],
  AuthorizationHeaderMalformed: [400, "The authorization header you provided is invalid."],
  AuthorizationQueryParametersError: [400, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."],
  BadDigest: [400, "The Content-MD5 you specified did not match what we received."],
  BucketAlreadyExists: [409, "The requested bucket name is not available."],
  BucketAlreadyOwnedByYou: [409, "Your previous request to create the named bucket succeeded and you already own it."],
  BucketNotEmpty: [409, "The bucket you tried to delete is not empty"],
  CustomerStorageUnavailable: [503, "The customer's own storage bucket is enabled but not healthy; no hosted fallback is allowed."],
  ContentTypeNotAllowed: [415, "The object's content type is not allowed by the customer's compliance rules."],
  DataResidencyViolation: [403, "The storage target does not satisfy the customer's data residency requirement."],
  DuplicateContent: [409, "An object with the same content (SHA-256) already exists in this bucket."],
  EntityTooLarge: [400, "Your proposed upload exceeds the maximum allowed size"],
  IncompleteBody: [400, "You did not provide the number of bytes specified by the Content-Length HTTP header."],
  InternalError: [500, "We encountered an internal error. Please try again."],
  InvalidArgument: [400, "Invalid Argument"],
  NoSuchUpload: [404, "The specified multipart upload does not exist. The upload ID might not be valid, or the multipart upload might have been aborted or completed."],
  InvalidPart: [400, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."],
  InvalidPartOrder: [400, "The list of parts was not in ascending order. The parts list must be specified in order by part number."],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  InvalidTag: [400, "The tag provided was not a valid tag."],
  InvalidAccessKeyId: [403, "The AWS access key ID you provided does not exist in our records."],
  InvalidChunkSizeError: [400, "Only the last chunk is allowed to have a size less than 8192 bytes"],
  InvalidBucketState: [409, "The request is not valid with the current state of the bucket."],
  InvalidBucketName: [400, "The specified bucket is not valid."],
  InvalidDigest: [400, "The Content-MD5 you specified is not valid."],
  InvalidURI: [400, "Couldn't parse the specified URI."],
  MetadataTooLarge: [400, "Your metadata headers exceed the maximum allowed metadata size."],
  InvalidRange: [416, "The requested range is not satisfiable"],
  InvalidRequest: [400, "Invalid Request"],
  InvalidRetentionPeriod: [400, "The retention period must be a positive integer of days or years."],
  KeyTooLongError: [400, "Your key is too long"],
  MalformedACLError: [400, "The XML you provided was not well-formed or did not validate against our published schema."],
  MalformedPolicy: [400, "This policy contains invalid Json"],
  MalformedXML: [400, "The XML you provided was not well-formed or did not validate against our published schema."],
  MethodNotAllowed: [405, "The specified method is not allowed against this resource."],
  MissingContentLength: [411, "You must provide the Content-Length HTTP header."],
  NoSuchBucket: [404, "The specified bucket does not exist"],
  NoSuchBucketPolicy: [404, "The bucket policy does not exist"],
  NoSuchKey: [404, "The specified key does not exist."],
  NoSuchVersion: [404, "The specified version does not exist."],
  NoSuchLifecycleConfiguration: [404, "The lifecycle configuration does not exist."],
  NoSuchObjectLockConfiguration: [404, "The specified object does not have an ObjectLock configuration."],
  ObjectLockConfigurationNotFoundError: [404, "Object Lock configuration does not exist for this bucket"],
  NotImplemented: [501, "A header you provided implies functionality that is not implemented."],
  PreconditionFailed: [412, "At least one of the pre-conditions you specified did not hold"],
  RequestTimeTooSkewed: [403, "The difference between the request time and the current time is too large."],
  SignatureDoesNotMatch: [403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."],
  ServiceUnavailable: [503, "Please reduce your request rate."],
  SlowDown: [503, "Please reduce your request rate."],
  UnresolvableGrantByEmailAddress: [400, "The email address you provided does not match any account on record."],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
  // The everyday API: CreateBucket location constraints, bucket tagging.
  IllegalLocationConstraintException: [400, "The location constraint is incompatible for the region specific endpoint this request was sent to."],
  InvalidLocationConstraint: [400, "The specified location-constraint is not valid"],
  NoSuchTagSet: [404, "The TagSet does not exist"],
  // A CreateBucket that kept meeting a concurrent DeleteBucket of the same name.
  // PutBucketLogging: a target bucket that is not the caller's (or does not exist).
  InvalidTargetBucketForLogging: [400, "The target bucket for logging does not exist, is not owned by you, or does not have the appropriate grants for the log-delivery group."],
  OperationAborted: [409, "A conflicting conditional operation is currently in progress against this resource. Please try again."],
} as const satisfies Record<string, readonly [number, string]>;

export type S3ErrorCode = keyof typeof S3_CODES;

export function s3Error(
  code: S3ErrorCode,
  message?: string,
  opts: { resource?: string; headers?: Record<string, string>; cause?: unknown } = {},
): AppError {
  const [status, defaultMessage] = S3_CODES[code];
  return new AppError(code, status, message ?? defaultMessage, opts);
}

/** Errors of the JSON management APIs. */
export const apiError = {
  badRequest: (message: string) => new AppError("BAD_REQUEST", 400, message),
  unauthorized: (message = "Authentication required") => new AppError("UNAUTHORIZED", 401, message),
  forbidden: (message: string) => new AppError("FORBIDDEN", 403, message),
  notFound: (message: string) => new AppError("NOT_FOUND", 404, message),
  conflict: (message: string) => new AppError("CONFLICT", 409, message),
  unavailable: (message: string) => new AppError("SERVICE_UNAVAILABLE", 503, message),
};
