/**
 * IAM's wildcards: `*` is any run of characters (also none, also `/`), `?` exactly one.
 * Everything else is literal, so a key containing regex metacharacters matches only itself.
 */
export function wildcardRegExp(pattern: string, opts: { ignoreCase?: boolean } = {}): RegExp {
  let source = "";
  for (const ch of pattern) {
    if (ch === "*") source += "[\\s\\S]*";
    else if (ch === "?") source += "[\\s\\S]";
    // Only syntax characters may be escaped under `u` (`\-` is a SyntaxError there); `-` is literal outside a class.
    else source += ch.replace(/[.+^${}()|[\]\\/]/g, "\\$&");
  }
  // `u`: `?` is one code point, as a key's characters are counted; `s` is not needed with [\s\S].
  return new RegExp(`^${source}$`, opts.ignoreCase ? "iu" : "u");
}

export const hasWildcard = (pattern: string): boolean => pattern.includes("*") || pattern.includes("?");
