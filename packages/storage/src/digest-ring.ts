/**
 * Layout of the control words of a digest ring, shared by the producer (the event loop copying
 * a body's bytes in) and its consumer (a worker thread hashing them). Positions are byte
 * counts since the session began (never wrapped: 64-bit); the ring index is position % size.
 * Handed to the worker (digest-worker.mjs) in its workerData.
 */
export const CTL = {
  /** Bytes the producer has copied in. */
  WRITTEN: 0,
  /** Bumped by the producer on every write, end or abort: what the consumer sleeps on. */
  WRITE_SEQ: 1,
  /** Session state, see STATE. */
  STATE: 2,
  /** Bumped by the consumer after it hashed more: what the producer waits on when the ring is full. */
  READ_SEQ: 3,
  /** Bytes the consumer has hashed. */
  READ: 4,
  /** 1 while the consumer sleeps on WRITE_SEQ: the producer wakes it only then (a wake is a system call). */
  SLEEPING: 5,
  /** 1 while the producer waits for room: the consumer signals READ_SEQ only then. */
  PRODUCER_WAITING: 6,
} as const;

export const CTL_WORDS = 7;

/** A sleeping consumer is woken once this many bytes wait for it (or at the end): one wake per batch, not per chunk. */
export const WAKE_BATCH = 256 * 1024;

export const STATE = { RUNNING: 0n, ENDED: 1n, ABORTED: 2n } as const;
