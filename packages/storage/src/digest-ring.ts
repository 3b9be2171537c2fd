/**
 * Layout of the control words of a digest ring, shared by the producer (the event loop copying
 * a body's bytes in) and its two consumers (worker threads hashing them). Positions are byte
 * counts since the session began (never wrapped: 64-bit); the ring index is position % size.
 */
export const CTL = {
  /** Bytes the producer has copied in. */
  WRITTEN: 0,
  /** Bumped by the producer on every write, end or abort: what consumers sleep on. */
  WRITE_SEQ: 1,
  /** Session state, see STATE. */
  STATE: 2,
  /** Bumped by a consumer after it hashed more: what the producer waits on when the ring is full. */
  READ_SEQ: 3,
  /** Bytes each consumer has hashed (its `reader` index). */
  READ_MD5: 4,
  READ_SHA256: 5,
} as const;

export const CTL_WORDS = 6;

export const STATE = { RUNNING: 0n, ENDED: 1n, ABORTED: 2n } as const;
