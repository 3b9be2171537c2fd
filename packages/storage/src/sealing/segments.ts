import type { ReadRange } from "../provider.ts";

/**
 * The layout of a sealed blob: its plaintext cut in 256 KiB segments, each encrypted with
 * AES-256-GCM under the blob's own data key and followed by its 16-byte tag. An empty blob is
 * one empty (final) segment, so even it authenticates. The layout is fixed by the scheme name
 * stored with the data key (`seg256k-gcm-v1`). 256 KiB rather than 64: a segment is one read
 * chunk and one response chunk, and per-segment costs (a cipher, a chunk through the response
 * stream) made 64 KiB segments decrypt at half the speed on this machine's cores; a small range
 * reads at most 256 KiB more than it needs.
 */
export const SEAL_SCHEME = "seg256k-gcm-v1";
export const SEGMENT_BYTES = 256 * 1024;
export const TAG_BYTES = 16;
export const SEALED_SEGMENT_BYTES = SEGMENT_BYTES + TAG_BYTES;
export const DATA_KEY_BYTES = 32;

export function segmentCount(plainSize: number): number {
  return Math.max(1, Math.ceil(plainSize / SEGMENT_BYTES));
}

export function sealedSize(plainSize: number): number {
  return plainSize + TAG_BYTES * segmentCount(plainSize);
}

/**
 * The nonce of segment `index`. A data key seals one blob only, so a counter never repeats a
 * (key, nonce) pair; the index is also in the additional data, with the final flag.
 */
export function segmentNonce(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(Math.floor(index / 2 ** 32), 4);
  nonce.writeUInt32BE(index >>> 0, 8);
  return nonce;
}

/** `S3GWSEG1` + index (8 bytes) + final flag: a segment moved, or a blob cut at a segment boundary, fails its tag. */
export function segmentAad(index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(17);
  aad.write("S3GWSEG1", 0, "latin1");
  aad.writeUInt32BE(Math.floor(index / 2 ** 32), 8);
  aad.writeUInt32BE(index >>> 0, 12);
  aad[16] = final ? 1 : 0;
  return aad;
}

/** What to read of a sealed blob for `range` of its plaintext, and what to keep of the segments read. */
export interface SealedSpan {
  /** Ciphertext bytes to read (inclusive), on whole segment boundaries. */
  cipherRange: ReadRange;
  firstSegment: number;
  /** Segments read (at least one: an empty blob is one empty segment, and it authenticates too). */
  segments: number;
  /** Plaintext bytes of the first segment read that precede the range. */
  skip: number;
  /** Plaintext bytes to deliver. */
  length: number;
}

export function sealedSpan(plainSize: number, range?: ReadRange): SealedSpan {
  const total = sealedSize(plainSize);
  if (!range) return { cipherRange: { start: 0, end: total - 1 }, firstSegment: 0, segments: segmentCount(plainSize), skip: 0, length: plainSize };
  const first = Math.floor(range.start / SEGMENT_BYTES);
  const last = Math.floor(range.end / SEGMENT_BYTES);
  return {
    cipherRange: { start: first * SEALED_SEGMENT_BYTES, end: Math.min((last + 1) * SEALED_SEGMENT_BYTES, total) - 1 },
    firstSegment: first,
    segments: last - first + 1,
    skip: range.start - first * SEGMENT_BYTES,
    length: range.end - range.start + 1,
  };
}
