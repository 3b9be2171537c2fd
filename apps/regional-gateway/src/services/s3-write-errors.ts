import { AppError } from "@s3gw/core";

/**
 * S3 codes of the multipart, tagging and batch-delete operations. They belong with the
 * others in @s3gw/core's S3_CODES; kept here until that table takes them, same AppError.
 */
const CODES = {
  NoSuchUpload: [404, "The specified multipart upload does not exist. The upload ID might not be valid, or the multipart upload might have been aborted or completed."],
  InvalidPart: [400, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."],
  InvalidPartOrder: [400, "The list of parts was not in ascending order. The parts list must be specified in order by part number."],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  InvalidTag: [400, "The tag provided was not a valid tag."],
} as const satisfies Record<string, readonly [number, string]>;

export type WriteErrorCode = keyof typeof CODES;

export function writeError(code: WriteErrorCode, message?: string, opts: { resource?: string } = {}): AppError {
  const [status, defaultMessage] = CODES[code];
  return new AppError(code, status, message ?? defaultMessage, opts);
}
