import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { lazyChild } from "../src/middleware/request-context.ts";

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const base = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  let children = 0;
  const child = base.child.bind(base);
  base.child = ((...args: Parameters<typeof base.child>) => {
    children++;
    return child(...args);
  }) as typeof base.child;
  return { base, lines, children: () => children };
}

describe("the request-scoped logger", () => {
  it("is made only when something is logged, and every line carries the request id", () => {
    const { base, lines, children } = capture("info");
    const logger = lazyChild(base, { requestId: "r-1" });
    expect(logger.isLevelEnabled("info")).toBe(true);
    expect(logger.isLevelEnabled("debug")).toBe(false);
    expect(children()).toBe(0);
    logger.info({ status: 200 }, "request routed");
    logger.warn("second line");
    expect(children()).toBe(1);
    expect(lines.map((l) => [l.requestId, l.msg])).toEqual([
      ["r-1", "request routed"],
      ["r-1", "second line"],
    ]);
  });

  it("a request that logs nothing costs no child at all", () => {
    const { base, children } = capture("warn");
    for (let i = 0; i < 10; i++) {
      const logger = lazyChild(base, { requestId: `r-${i}` });
      if (logger.isLevelEnabled("info")) logger.info("not written");
    }
    expect(children()).toBe(0);
  });
});
