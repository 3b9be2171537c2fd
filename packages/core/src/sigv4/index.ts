export type { AuthKind, HeaderText, IncomingS3Request, PayloadMode, SigV4Credentials, VerifiedRequest } from "./types.ts";
export { MAX_QUERY_PARAMETERS } from "./parse.ts";
export { assertAmzHeadersSigned, headerTextValue, MAX_SKEW_MS, presignUrl, sigv4AccessKeyId, verifySigV4 } from "./verify.ts";
export { payloadHashCheck } from "./payload.ts";
export { awsChunkedDecoder, MAX_CHUNK_BYTES } from "./chunked.ts";
export { MAX_PRESIGN_SECONDS } from "./parse.ts";
export { SigningKeyMemo } from "./signature.ts";
