import {
  GetBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketNotificationConfigurationCommand,
  type NotificationConfiguration,
  type S3Client,
} from "@aws-sdk/client-s3";
import { postgresClient } from "@s3gw/db";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBucketNotifications } from "../src/services/events/bucket-notifications.ts";
import { findBucket } from "../src/services/objects/buckets.ts";
import { registerWithBuckets, s3, startTestRegion, type TestRegion } from "./harness.ts";
import { api, createTarget, notificationXml, s3Code, webhookBody, type TargetBody } from "./notification-helpers.ts";
import { createAccessKey, s3Outcome, sdkClient } from "./sdk-client.ts";

let fi: TestRegion;
let sql: postgres.Sql;
let sdk: S3Client;
let readOnly: S3Client;
let strict: ReturnType<typeof s3>;
const target: Record<"fi" | "fi2" | "de" | "us", TargetBody> = {} as never;

beforeAll(async () => {
  fi = await startTestRegion("FI-HEL");
  sql = postgresClient(fi.databaseUrl, { max: 1 });
  target.fi = await createTarget(fi.url, webhookBody({ country: "FI" }));
  target.fi2 = await createTarget(fi.url, webhookBody({ country: "FI" }));
  target.de = await createTarget(fi.url, webhookBody({ country: "DE" }));
  target.us = await createTarget(fi.url, webhookBody({ country: "US" }));
  strict = await registerWithBuckets(fi.url, "strict-co", ["docs", "other", "policed"]);
  sdk = sdkClient(fi.url, await createAccessKey(fi.url, "strict-co", { permission: "read-write" }));
  readOnly = sdkClient(fi.url, await createAccessKey(fi.url, "strict-co", { permission: "read-only" }));
});
afterAll(async () => {
  sdk?.destroy();
  readOnly?.destroy();
  await sql?.end();
  await fi?.destroy();
});

const put = (client: ReturnType<typeof s3>, bucket: string, body: string) => client(`/${bucket}?notification`, { method: "PUT", body });
const getConfig = (client: S3Client, bucket: string) => client.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));

async function storedRules(customer: string, bucket: string) {
  return readBucketNotifications(fi.deps, await findBucket(fi.deps, customer, bucket));
}

describe("S3 PUT/GET ?notification", () => {
  it("round-trips Topic, Queue and CloudFunction configurations with filters through the AWS SDK", async () => {
    const odd = "a&b <c> \"d\"/é ";
    const config: NotificationConfiguration = {
      TopicConfigurations: [
        { Id: "created-docs", TopicArn: target.fi.arn, Events: ["s3:ObjectCreated:*"], Filter: { Key: { FilterRules: [{ Name: "prefix", Value: odd }, { Name: "suffix", Value: ".pdf" }] } } },
        { TopicArn: target.fi2.arn, Events: ["s3:ObjectRemoved:Delete", "s3:ObjectTagging:*"] },
      ],
      QueueConfigurations: [{ Id: "queue-1", QueueArn: target.fi2.arn, Events: ["s3:ObjectCreated:Put"], Filter: { Key: { FilterRules: [{ Name: "suffix", Value: ".csv" }] } } }],
      LambdaFunctionConfigurations: [{ Id: "fn-1", LambdaFunctionArn: target.fi.arn, Events: ["s3:LifecycleExpiration:*", "s3:ObjectRetention:Put"] }],
    };
    await sdk.send(new PutBucketNotificationConfigurationCommand({ Bucket: "docs", NotificationConfiguration: config }));
    const got = await getConfig(sdk, "docs");
    const generatedId = got.TopicConfigurations?.[1]?.Id;
    expect(generatedId).toMatch(/^[0-9a-f]{32}$/);
    expect(got.TopicConfigurations).toEqual([config.TopicConfigurations![0], { ...config.TopicConfigurations![1], Id: generatedId }]);
    expect(got.QueueConfigurations).toEqual(config.QueueConfigurations);
    expect(got.LambdaFunctionConfigurations).toEqual(config.LambdaFunctionConfigurations);
    // What the write paths read: the gateway's own shape, target ids resolved.
    expect(await storedRules("strict-co", "docs")).toEqual({
      rules: [
        { id: "created-docs", source: "topic", targetId: target.fi.target_id, events: ["s3:ObjectCreated:*"], prefix: odd, suffix: ".pdf" },
        { id: generatedId, source: "topic", targetId: target.fi2.target_id, events: ["s3:ObjectRemoved:Delete", "s3:ObjectTagging:*"] },
        { id: "queue-1", source: "queue", targetId: target.fi2.target_id, events: ["s3:ObjectCreated:Put"], suffix: ".csv" },
        { id: "fn-1", source: "function", targetId: target.fi.target_id, events: ["s3:LifecycleExpiration:*", "s3:ObjectRetention:Put"] },
      ],
    });
    const [logged] = await sql`select compliance_info from operations_log where operation_type = 'PutBucketNotificationConfiguration' and status_code = 200`;
    expect(logged!.compliance_info).toMatchObject({ rules: 4 });
  });

  it("answers an empty configuration when there is none, and an empty PUT removes one", async () => {
    const none = await strict("/other?notification");
    expect(none.status).toBe(200);
    expect(await none.text()).toMatch(/<NotificationConfiguration xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"(\/>|><\/NotificationConfiguration>)$/);
    expect((await put(strict, "other", notificationXml([{ arn: target.fi.arn, events: ["s3:ObjectCreated:Put"] }]))).status).toBe(200);
    expect((await getConfig(sdk, "other")).TopicConfigurations).toHaveLength(1);
    await sdk.send(new PutBucketNotificationConfigurationCommand({ Bucket: "other", NotificationConfiguration: {} }));
    const after = await getConfig(sdk, "other");
    expect(after.TopicConfigurations ?? []).toEqual([]);
    expect(await storedRules("strict-co", "other")).toBeNull();
    const rows = await sql`select 1 from bucket_settings s join buckets b using (bucket_id) where b.bucket_name = 'other' and s.kind = 'notification'`;
    expect(rows).toHaveLength(0);
  });

  it("refuses malformed documents, unknown events and bad filters with S3's codes, leaving the stored configuration as it was", async () => {
    const before = await storedRules("strict-co", "docs");
    const arn = target.fi.arn;
    const cases: [string, string][] = [
      ["not xml at all <", "400 MalformedXML"],
      ["<Other/>", "400 MalformedXML"],
      [`<NotificationConfiguration><TopicConfiguration><Event>s3:ObjectCreated:Put</Event></TopicConfiguration></NotificationConfiguration>`, "400 MalformedXML"],
      [`<NotificationConfiguration><TopicConfiguration><Topic>${arn}</Topic></TopicConfiguration></NotificationConfiguration>`, "400 MalformedXML"],
      [`<NotificationConfiguration><TopicConfiguration><Topic>${arn}</Topic><Topic>${arn}</Topic><Event>s3:ObjectCreated:Put</Event></TopicConfiguration></NotificationConfiguration>`, "400 MalformedXML"],
      [`<NotificationConfiguration><TopicConfiguration>text</TopicConfiguration></NotificationConfiguration>`, "400 MalformedXML"],
      [`<NotificationConfiguration><TopicConfiguration><Topic>${arn}</Topic><Event>s3:ObjectCreated:Put</Event><Extra/></TopicConfiguration></NotificationConfiguration>`, "400 MalformedXML"],
      [`<NotificationConfiguration><QueueConfiguration><Topic>${arn}</Topic><Event>s3:ObjectCreated:Put</Event></QueueConfiguration></NotificationConfiguration>`, "400 MalformedXML"],
      [`<NotificationConfiguration><Whatever/></NotificationConfiguration>`, "400 MalformedXML"],
      [notificationXml([{ arn, events: ["s3:ObjectCreated:Nope"] }]), "400 InvalidArgument"],
      [notificationXml([{ arn, events: ["s3:*"] }]), "400 InvalidArgument"],
      [notificationXml([{ arn, events: ["integrity.mismatch"] }]), "400 InvalidArgument"],
      [`<NotificationConfiguration><TopicConfiguration><Topic>${arn}</Topic><Event>s3:ObjectCreated:Put</Event><Filter><S3Key><FilterRule><Name>infix</Name><Value>x</Value></FilterRule></S3Key></Filter></TopicConfiguration></NotificationConfiguration>`, "400 InvalidArgument"],
      [`<NotificationConfiguration><TopicConfiguration><Topic>${arn}</Topic><Event>s3:ObjectCreated:Put</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Value>a</Value></FilterRule><FilterRule><Name>prefix</Name><Value>b</Value></FilterRule></S3Key></Filter></TopicConfiguration></NotificationConfiguration>`, "400 InvalidArgument"],
      [notificationXml([{ arn, events: ["s3:ObjectCreated:Put"], id: "same" }, { arn: target.fi2.arn, events: ["s3:ObjectCreated:Put"], id: "same" }]), "400 InvalidArgument"],
      [`<NotificationConfiguration><EventBridgeConfiguration/></NotificationConfiguration>`, "501 NotImplemented"],
      [notificationXml(Array.from({ length: 101 }, (_, i) => ({ arn, events: ["s3:ObjectCreated:Put"], prefix: `p${i}/` }))), "400 InvalidArgument"],
      [notificationXml([{ arn, events: ["s3:ObjectCreated:Put"], prefix: "x".repeat(1025) }]), "400 InvalidArgument"],
      [notificationXml([{ arn, events: ["s3:ObjectCreated:Put"], id: "i".repeat(256) }]), "400 InvalidArgument"],
      [notificationXml([{ arn: `${arn}${"x".repeat(2048)}`, events: ["s3:ObjectCreated:Put"] }]), "400 InvalidArgument"],
    ];
    for (const [body, expected] of cases) expect(await s3Code(await put(strict, "docs", body)), body.slice(0, 300)).toBe(expected);
    expect(await storedRules("strict-co", "docs")).toEqual(before);
  });

  it("refuses an ARN that is not one of this region's live targets, naming it", async () => {
    const deleted = await createTarget(fi.url, webhookBody());
    expect((await api(fi.url, `/api/notification-targets/${deleted.target_id}`, { method: "DELETE" })).status).toBe(200);
    const arns = [
      "arn:s3gw:events:FI-HEL::tgt_000000000000000000000000",
      `arn:s3gw:events:DE-FRA::${target.fi.target_id}`,
      `arn:aws:sns:eu-north-1:123456789012:${target.fi.target_id}`,
      target.fi.target_id,
      `${target.fi.arn}x`,
      `${target.fi.arn.toUpperCase()}`,
      deleted.arn,
    ];
    for (const arn of arns) {
      const res = await put(strict, "other", notificationXml([{ arn, events: ["s3:ObjectCreated:*"] }]));
      const text = await res.text();
      expect(res.status, arn).toBe(400);
      expect(text).toContain("<Code>InvalidArgument</Code>");
      expect(text).toContain("Unable to validate the following destination configurations");
    }
    // One bad destination among good ones refuses the whole document.
    const mixed = await put(strict, "other", notificationXml([{ arn: target.fi.arn, events: ["s3:ObjectCreated:*"] }, { arn: deleted.arn, events: ["s3:ObjectRemoved:*"] }]));
    expect(await s3Code(mixed)).toBe("400 InvalidArgument");
    expect(await storedRules("strict-co", "other")).toBeNull();
  });

  it("applies the owner's residency: strict stays in its country, jurisdiction in its legal zone, flexible anywhere", async () => {
    const refusedStrict = await put(strict, "other", notificationXml([{ arn: target.de.arn, events: ["s3:ObjectCreated:*"] }]));
    const text = await refusedStrict.text();
    expect(refusedStrict.status).toBe(400);
    expect(text).toContain("<Code>InvalidArgument</Code>");
    expect(text).toMatch(/strict residency: events must stay in FI, the target is in DE/);
    expect((await put(strict, "other", notificationXml([{ arn: target.fi.arn, events: ["s3:ObjectCreated:*"] }]))).status).toBe(200);

    const jurisdiction = await registerWithBuckets(fi.url, "zone-co", ["zone-bucket"], { data_residency_requirement: "jurisdiction" });
    expect((await put(jurisdiction, "zone-bucket", notificationXml([{ arn: target.de.arn, events: ["s3:ObjectCreated:*"] }]))).status).toBe(200);
    const us = await put(jurisdiction, "zone-bucket", notificationXml([{ arn: target.us.arn, events: ["s3:ObjectCreated:*"] }]));
    expect(await us.clone().text()).toMatch(/jurisdiction residency/);
    expect(await s3Code(us)).toBe("400 InvalidArgument");

    const flexible = await registerWithBuckets(fi.url, "free-co", ["free-bucket"], { data_residency_requirement: "flexible" });
    expect((await put(flexible, "free-bucket", notificationXml([{ arn: target.us.arn, events: ["s3:ObjectCreated:*"] }]))).status).toBe(200);
  });

  it("keeps tenants apart, and a read-only key may read the configuration but not change it", async () => {
    await registerWithBuckets(fi.url, "rival-co", []);
    const rival = s3(fi.url, "rival-co");
    expect(await s3Code(await put(rival, "docs", notificationXml([{ arn: target.fi.arn, events: ["s3:ObjectCreated:*"] }])))).toBe("404 NoSuchBucket");
    expect(await s3Code(await rival("/docs?notification"))).toBe("404 NoSuchBucket");
    const rivalSdk = sdkClient(fi.url, await createAccessKey(fi.url, "rival-co"));
    expect(await s3Outcome(getConfig(rivalSdk, "docs"))).toBe("404 NoSuchBucket");
    rivalSdk.destroy();

    expect((await getConfig(readOnly, "docs")).TopicConfigurations?.length).toBeGreaterThan(0);
    const before = await storedRules("strict-co", "docs");
    expect(await s3Outcome(readOnly.send(new PutBucketNotificationConfigurationCommand({ Bucket: "docs", NotificationConfiguration: {} })))).toBe("403 AccessDenied");
    expect(await storedRules("strict-co", "docs")).toEqual(before);
    const denied = await sql`select status_code from operations_log where operation_type = 'PutBucketNotificationConfiguration' and status_code = 403`;
    expect(denied.length).toBeGreaterThan(0);
  });

  it("bucket policies name the operations by S3's IAM actions, s3:PutBucketNotification and s3:GetBucketNotification", async () => {
    const deny = (action: string) =>
      sdk.send(new PutBucketPolicyCommand({ Bucket: "policed", Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: action, Resource: "arn:aws:s3:::policed" }] }) }));
    const config: NotificationConfiguration = { TopicConfigurations: [{ TopicArn: target.fi.arn, Events: ["s3:ObjectCreated:*"] }] };
    await deny("s3:PutBucketNotification");
    expect(await s3Outcome(sdk.send(new PutBucketNotificationConfigurationCommand({ Bucket: "policed", NotificationConfiguration: config })))).toBe("403 AccessDenied");
    expect(await s3Outcome(getConfig(sdk, "policed"))).toBe("ok");
    await deny("s3:GetBucketNotification");
    expect(await s3Outcome(getConfig(sdk, "policed"))).toBe("403 AccessDenied");
    expect(await s3Outcome(sdk.send(new PutBucketNotificationConfigurationCommand({ Bucket: "policed", NotificationConfiguration: config })))).toBe("ok");
  });

  it("a change reaches the cached reader at once", async () => {
    expect((await put(strict, "other", notificationXml([{ arn: target.fi.arn, events: ["s3:ObjectCreated:Put"], id: "v1" }]))).status).toBe(200);
    expect((await storedRules("strict-co", "other"))?.rules.map((r) => r.id)).toEqual(["v1"]);
    expect((await put(strict, "other", notificationXml([{ arn: target.fi.arn, events: ["s3:ObjectCreated:Put"], id: "v2" }]))).status).toBe(200);
    expect((await storedRules("strict-co", "other"))?.rules.map((r) => r.id)).toEqual(["v2"]);
    expect((await put(strict, "other", "<NotificationConfiguration/>")).status).toBe(200);
    expect(await storedRules("strict-co", "other")).toBeNull();
  });
});
