/**
 * A mutex that grants in the order acquire() was called: statements of the embedded database
 * reach the engine in the order they were asked for.
 */
export class FifoLock {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves with the release function once every earlier holder has released. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const granted = this.tail.then(() => release);
    this.tail = this.tail.then(() => held);
    return granted;
  }
}
