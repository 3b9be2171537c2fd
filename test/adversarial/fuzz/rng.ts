/**
 * A small seeded PRNG (mulberry32). Every request gets its own generator derived from the run
 * seed and its index, so request N of seed S is the same request whatever the concurrency, and
 * one offender can be replayed alone (FUZZ_SEED=S FUZZ_ONLY=N).
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static forRequest(seed: number, index: number): Rng {
    // Mix the index in so neighbouring requests do not start from neighbouring states.
    let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    return new Rng((h ^ (h >>> 16)) >>> 0);
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(items.length)]!;
  }

  /** Up to `max` distinct items, in random order. */
  some<T>(items: readonly T[], max: number): T[] {
    const copy = [...items];
    const out: T[] = [];
    const n = 1 + this.int(Math.min(max, copy.length));
    for (let i = 0; i < n; i++) out.push(copy.splice(this.int(copy.length), 1)[0]!);
    return out;
  }
}

/** FUZZ_SEED as a number: decimal, 0x-hex, or any other text hashed. */
export function parseSeed(text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === "") return fallback;
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(BigInt(t) & 0xffffffffn);
  if (/^0x[0-9a-f]+$/i.test(t)) return Number(BigInt(t) & 0xffffffffn);
  let h = 2166136261;
  for (const ch of t) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  return h >>> 0;
}
