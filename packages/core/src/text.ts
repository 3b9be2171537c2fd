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

/** The first unstorable string anywhere in a JSON-like value, as `path: reason` (keys are checked too). */
export function findUnstorableText(value: unknown, path = "$"): string | undefined {
  if (typeof value === "string") {
    const reason = unstorableTextReason(value);
    return reason ? `${path} ${reason}` : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const keyReason = unstorableTextReason(k);
      if (keyReason) return `${path} has a key that ${keyReason}`;
      const found = findUnstorableText(v, `${path}.${k}`);
      if (found) return found;
    }
  }
  return undefined;
}
