/**
 * Text the databases can store exactly. Postgres refuses NUL in text and jsonb, and a lone
 * UTF-16 surrogate cannot be encoded as UTF-8: such a string is either refused by the database
 * (failing whatever shares the statement) or silently replaced, so what was hashed or checked
 * would differ from what was stored. Every input string is checked at the edge with these.
 */
export function unstorableTextReason(value: string): string | undefined {
  if (value.includes("\u0000")) return "contains a NUL character";
  if (!value.isWellFormed()) return "contains a lone UTF-16 surrogate (not valid Unicode)";
  return undefined;
}

export function isStorableText(value: string): boolean {
  return unstorableTextReason(value) === undefined;
}

/** Deeper JSON than this is refused outright: no legitimate input of ours nests so deep. */
export const MAX_JSON_DEPTH = 64;

/**
 * The first unstorable string anywhere in a JSON-like value, as `path: reason` (keys are
 * checked too), or a nesting deeper than MAX_JSON_DEPTH. Iterative, so hostile nesting
 * cannot exhaust the stack.
 */
export function findUnstorableText(root: unknown, rootPath = "$"): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: rootPath, depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === "string") {
      const reason = unstorableTextReason(value);
      if (reason) return `${path} ${reason}`;
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (depth >= MAX_JSON_DEPTH) return `${path} nests deeper than ${MAX_JSON_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const entries = Object.entries(value);
    for (const [k] of entries) {
      const keyReason = unstorableTextReason(k);
      if (keyReason) return `${path} has a key that ${keyReason}`;
    }
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], path: `${path}.${entries[i]![0]}`, depth: depth + 1 });
  }
  return undefined;
}
