/**
 * The messages the dispatcher sends, rendered from an outbox row. Object events are S3's
 * event message (`Records[]`, eventVersion 2.1) inside an envelope that adds what S3's lacks:
 * the event id (the idempotency key), the region, the customer and the sequence. Consumers
 * written for S3 read `Records` and ignore the rest. Compliance events follow the versioned
 * contract `s3gw.compliance/v1` (documented in the README); a breaking change gets a new version.
 */
export const COMPLIANCE_SCHEMA = "s3gw.compliance/v1";

/** What the writer of an object event stores in the outbox row's payload. */
export interface ObjectEventPayload {
  bucket: string;
  key: string;
  size?: number;
  /** Unquoted, as S3's messages carry it. */
  eTag?: string;
  /** Absent in a bucket never versioned (S3 sends no versionId there). */
  versionId?: string;
  principalId: string | null;
  sourceIp: string | null;
  requestId: string;
  /** The configuration entry (`Id`) that matched, per target id. */
  configurationIds: Record<string, string>;
}

/** What the writer of a compliance event stores in the outbox row's payload. */
export interface ComplianceEventPayload {
  severity: "low" | "medium" | "high" | "critical";
  description: string;
  subject?: { bucket?: string; key?: string; version_id?: string; request_id?: string; hold_id?: string };
  data: Record<string, unknown>;
  recommended_action?: string;
}

export interface OutboxEvent {
  seq: number;
  eventId: string;
  category: "s3" | "compliance";
  eventName: string;
  customerId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** S3's sequencer: a hex string that, for one key, sorts in the order of the events. */
export function sequencerOf(seq: number): string {
  return seq.toString(16).toUpperCase().padStart(16, "0");
}

/** S3 sends object keys URL-encoded in event messages, spaces as `+`. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+");
}

/** The message for one target, as the JSON document sent (webhook body, NATS payload). */
export function renderEventMessage(event: OutboxEvent, ctx: { region: string; targetId: string }): Record<string, unknown> {
  const envelope = { id: event.eventId, region: ctx.region, customer_id: event.customerId, time: event.createdAt.toISOString(), sequence: event.seq };
  if (event.category === "compliance") {
    return { schema: COMPLIANCE_SCHEMA, ...envelope, type: event.eventName, ...(event.payload as unknown as ComplianceEventPayload) };
  }
  const p = event.payload as unknown as ObjectEventPayload;
  return {
    ...envelope,
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: ctx.region,
        eventTime: envelope.time,
        eventName: event.eventName.replace(/^s3:/, ""),
        userIdentity: { principalId: p.principalId ?? "anonymous" },
        requestParameters: { sourceIPAddress: p.sourceIp ?? "" },
        responseElements: { "x-amz-request-id": p.requestId, "x-amz-id-2": p.requestId },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: p.configurationIds[ctx.targetId] ?? "",
          bucket: { name: p.bucket, ownerIdentity: { principalId: event.customerId ?? "" }, arn: `arn:aws:s3:::${p.bucket}` },
          object: {
            key: encodeEventKey(p.key),
            ...(p.size !== undefined ? { size: p.size } : {}),
            ...(p.eTag !== undefined ? { eTag: p.eTag } : {}),
            ...(p.versionId !== undefined ? { versionId: p.versionId } : {}),
            sequencer: sequencerOf(event.seq),
          },
        },
      },
    ],
  };
}
