import { Readable } from "node:stream";

const HIGH_WATER_MARK = 256 * 1024;

/**
 * The bytes of several blobs one after another, as one stream with backpressure. `window`
 * blobs are kept open ahead of the one being read. On a filesystem (where an open file
 * outlives an unlink) a wide window pins the parts the way an open pins a plain blob against
 * a concurrent overwrite, and hides each open behind the bytes before it. Over HTTP (0) a part
 * is asked for only when it is needed: a response left unread behind a slow client would time
 * out. Resolves once the first blob and the window are open, so a missing blob fails the read
 * before any byte is sent; one missing later fails the stream (the response ends short).
 */
export async function readSequence(opens: (() => Promise<Readable>)[], window: number): Promise<Readable> {
  const seq = new PartSequence(opens, Math.max(0, window));
  await seq.ready();
  return seq;
}

class PartSequence extends Readable {
  private readonly opens: (() => Promise<Readable>)[];
  private readonly window: number;
  private readonly ahead: Promise<Readable>[] = [];
  private next = 0;
  private current: Readable | undefined;

  constructor(opens: (() => Promise<Readable>)[], window: number) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.opens = opens;
    this.window = window;
  }

  async ready(): Promise<void> {
    this.fill(this.window + 1);
    try {
      await Promise.all(this.ahead);
    } catch (err) {
      this.destroy();
      throw err;
    }
    void this.advance();
  }

  override _read(): void {
    this.current?.resume();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.current?.destroy();
    for (const p of this.ahead.splice(0)) p.then((s) => s.destroy(), () => {});
    done(err);
  }

  private fill(count: number): void {
    while (this.ahead.length < count && this.next < this.opens.length) {
      const opened = this.opens[this.next++]!();
      // Awaited in order later: meanwhile neither a failed open nor a part failing while it waits
      // (noticed by advance() through `errored`) is an unhandled rejection or error event.
      opened.then((part) => void part.on("error", () => {}), () => {});
      this.ahead.push(opened);
    }
  }

  private async advance(): Promise<void> {
    this.fill(1);
    const opening = this.ahead.shift();
    if (!opening) {
      this.push(null);
      return;
    }
    this.fill(this.window);
    let part: Readable;
    try {
      part = await opening;
    } catch (err) {
      this.destroy(err as Error);
      return;
    }
    if (this.destroyed) {
      part.destroy();
      return;
    }
    // A part opened ahead may have failed while it waited (a sealed part that did not
    // authenticate): it will emit nothing more, so its failure is the sequence's now.
    if (part.errored) {
      this.destroy(part.errored);
      return;
    }
    this.current = part;
    part.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) part.pause();
    });
    part.once("error", (err) => this.destroy(err));
    part.once("end", () => {
      this.current = undefined;
      void this.advance();
    });
  }
}
