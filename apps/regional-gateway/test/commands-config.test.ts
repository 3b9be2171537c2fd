import { describe, expect, it } from "vitest";
import { commandConsumerConfig } from "../src/services/events/commands/config.ts";

const key32 = Buffer.alloc(32, 9).toString("base64");
const base = { COMMANDS_NATS_SERVERS: "nats://127.0.0.1:4222, 127.0.0.1:4223", COMMANDS_HMAC_KEYS: `k1:${key32}` };

describe("the command consumer's configuration", () => {
  it("is absent without COMMANDS_NATS_SERVERS", () => {
    expect(commandConsumerConfig({}, "FI-HEL")).toBeUndefined();
    expect(commandConsumerConfig({ COMMANDS_NATS_SERVERS: " " }, "FI-HEL")).toBeUndefined();
  });

  it("defaults its names from the region", () => {
    const c = commandConsumerConfig(base, "FI-HEL")!;
    expect(c).toMatchObject({
      servers: ["nats://127.0.0.1:4222", "127.0.0.1:4223"],
      stream: "S3GW_FI_HEL_COMMANDS",
      subject: "s3gw.FI-HEL.commands",
      durable: "s3gw-FI-HEL",
      deadLetterSubject: "s3gw.FI-HEL.commands.dead",
      maxAgeSeconds: 300,
      maxDeliver: 5,
    });
    expect([...c.hmacKeys.keys()]).toEqual(["k1"]);
    expect(commandConsumerConfig({ ...base, COMMANDS_SUBJECT: "ops.cmds" }, "FI-HEL")!.deadLetterSubject).toBe("ops.cmds.dead");
  });

  it("needs HMAC keys of at least 32 bytes, well formed and named once", () => {
    expect(() => commandConsumerConfig({ COMMANDS_NATS_SERVERS: "127.0.0.1:4222" }, "FI-HEL")).toThrow(/COMMANDS_HMAC_KEYS: required/);
    expect(() => commandConsumerConfig({ ...base, COMMANDS_HMAC_KEYS: `k1:${Buffer.alloc(31).toString("base64")}` }, "FI-HEL")).toThrow(/31 bytes/);
    expect(() => commandConsumerConfig({ ...base, COMMANDS_HMAC_KEYS: `k1:${key32.slice(0, 20)}!!${key32.slice(20)}` }, "FI-HEL")).toThrow(/not base64/);
    expect(() => commandConsumerConfig({ ...base, COMMANDS_HMAC_KEYS: key32 }, "FI-HEL")).toThrow(/<key id>:<base64>/);
    expect(() => commandConsumerConfig({ ...base, COMMANDS_HMAC_KEYS: `k1:${key32},k1:${key32}` }, "FI-HEL")).toThrow(/twice/);
    expect(commandConsumerConfig({ ...base, COMMANDS_HMAC_KEYS: `k1:${key32}, k2:${key32}` }, "FI-HEL")!.hmacKeys.size).toBe(2);
  });

  it("refuses wildcard subjects, a dead-letter subject equal to the subject, and out-of-range limits", () => {
    expect(() => commandConsumerConfig({ ...base, COMMANDS_SUBJECT: "s3gw.*.commands" }, "FI-HEL")).toThrow(/COMMANDS_SUBJECT/);
    expect(() => commandConsumerConfig({ ...base, COMMANDS_SUBJECT: "a.b", COMMANDS_DEAD_LETTER_SUBJECT: "a.b" }, "FI-HEL")).toThrow(/must differ/);
    expect(() => commandConsumerConfig({ ...base, COMMANDS_MAX_DELIVER: "0" }, "FI-HEL")).toThrow(/COMMANDS_MAX_DELIVER/);
    expect(() => commandConsumerConfig({ ...base, COMMANDS_STREAM: "has.dots" }, "FI-HEL")).toThrow(/COMMANDS_STREAM/);
  });
});
