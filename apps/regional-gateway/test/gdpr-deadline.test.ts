import { gdprDeadlineState, gdprResponseDeadline } from "@s3gw/core";
import { describe, expect, it } from "vitest";
import { contentPolicy, PORTABILITY_CONTENT_LIMIT } from "../src/services/gdpr/gdpr-export.ts";

const deadline = (iso: string) => gdprResponseDeadline(new Date(iso)).toISOString();

describe("GDPR response deadline (Art. 12(3): one month from receipt)", () => {
  it("is the same day and time of the next calendar month", () => {
    expect(deadline("2025-01-15T10:30:00.123Z")).toBe("2025-02-15T10:30:00.123Z");
    expect(deadline("2025-03-01T00:00:00.000Z")).toBe("2025-04-01T00:00:00.000Z");
    expect(deadline("2025-11-30T23:59:59.999Z")).toBe("2025-12-30T23:59:59.999Z");
  });

  it("clamps to the last day of a shorter month", () => {
    expect(deadline("2025-01-31T09:00:00.000Z")).toBe("2025-02-28T09:00:00.000Z");
    expect(deadline("2024-01-31T09:00:00.000Z")).toBe("2024-02-29T09:00:00.000Z");
    expect(deadline("2024-01-29T09:00:00.000Z")).toBe("2024-02-29T09:00:00.000Z");
    expect(deadline("2025-01-29T09:00:00.000Z")).toBe("2025-02-28T09:00:00.000Z");
    expect(deadline("2025-03-31T12:00:00.000Z")).toBe("2025-04-30T12:00:00.000Z");
    expect(deadline("2025-08-31T12:00:00.000Z")).toBe("2025-09-30T12:00:00.000Z");
  });

  it("does not clamp when the next month is long enough, and rolls over the year", () => {
    expect(deadline("2025-02-28T08:00:00.000Z")).toBe("2025-03-28T08:00:00.000Z");
    expect(deadline("2024-02-29T08:00:00.000Z")).toBe("2024-03-29T08:00:00.000Z");
    expect(deadline("2025-12-31T18:00:00.000Z")).toBe("2026-01-31T18:00:00.000Z");
    expect(deadline("2025-12-15T18:00:00.000Z")).toBe("2026-01-15T18:00:00.000Z");
  });
});

describe("deadline state", () => {
  const due = new Date("2025-02-15T10:00:00.000Z");
  const at = (iso: string) => new Date(iso);

  it("classifies open requests as ok, near (within 7 days) or overdue", () => {
    expect(gdprDeadlineState("pending", due, at("2025-02-01T10:00:00.000Z"))).toBe("ok");
    expect(gdprDeadlineState("pending", due, at("2025-02-08T09:59:59.999Z"))).toBe("ok");
    expect(gdprDeadlineState("pending", due, at("2025-02-08T10:00:00.000Z"))).toBe("near");
    expect(gdprDeadlineState("in_progress", due, at("2025-02-15T09:59:59.999Z"))).toBe("near");
    expect(gdprDeadlineState("in_progress", due, at("2025-02-15T10:00:00.000Z"))).toBe("overdue");
    expect(gdprDeadlineState("pending", due, at("2025-03-20T00:00:00.000Z"))).toBe("overdue");
  });

  it("has no state once a request is closed", () => {
    expect(gdprDeadlineState("completed", due, at("2025-03-20T00:00:00.000Z"))).toBeNull();
    expect(gdprDeadlineState("rejected", due, at("2025-02-14T00:00:00.000Z"))).toBeNull();
  });
});

describe("portability content policy", () => {
  it("embeds bytes up to the limit and explains when it does not", () => {
    expect(contentPolicy("portability", PORTABILITY_CONTENT_LIMIT)).toEqual({ included: true });
    const over = contentPolicy("portability", PORTABILITY_CONTENT_LIMIT + 1);
    expect(over.included).toBe(false);
    expect(over.note).toContain("exceeds");
    expect(contentPolicy("access", 1).included).toBe(false);
  });
});
