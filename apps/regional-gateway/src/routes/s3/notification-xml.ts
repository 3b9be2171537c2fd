import { randomBytes } from "node:crypto";
import { isS3EventPattern, S3_XMLNS, s3Error, type NotificationRule, type NotificationRuleSource } from "@s3gw/core";
import { MAX_NOTIFICATION_RULES, type NotificationRuleDraft } from "../../services/events/bucket-notifications.ts";

/**
 * S3's NotificationConfiguration document, parsed into rule drafts (targets still named by
 * ARN) and rendered back from stored rules. The three AWS destination elements keep their
 * names both ways, so a client reads back what it wrote.
 */

type XmlNode = Record<string, unknown>;

const SOURCES: { element: string; arn: string; source: NotificationRuleSource }[] = [
  { element: "TopicConfiguration", arn: "Topic", source: "topic" },
  { element: "QueueConfiguration", arn: "Queue", source: "queue" },
  { element: "CloudFunctionConfiguration", arn: "CloudFunction", source: "function" },
];
const MAX_ID_LENGTH = 255;
const MAX_VALUE_LENGTH = 1024;
const MAX_ARN_LENGTH = 2048;

/** A repeated element as a list of element nodes; `<X/>` (parsed as "") is an empty node; text where elements belong is malformed. */
function nodes(value: unknown): XmlNode[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => {
    if (v === "") return {};
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw s3Error("MalformedXML");
    return v as XmlNode;
  });
}

function texts(node: XmlNode, name: string): string[] {
  const v = node[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((t) => {
    if (typeof t !== "string") throw s3Error("MalformedXML", `${name} must be text`);
    return t;
  });
}

function onlyKnown(node: XmlNode, known: string[]): void {
  if (Object.keys(node).some((k) => !known.includes(k))) throw s3Error("MalformedXML");
}

/** `Filter/S3Key/FilterRule`: at most one prefix and one suffix, as S3. */
function parseFilter(config: XmlNode): Pick<NotificationRule, "prefix" | "suffix"> {
  const out: { prefix?: string; suffix?: string } = {};
  for (const filter of nodes(config["Filter"])) {
    onlyKnown(filter, ["S3Key"]);
    for (const s3Key of nodes(filter["S3Key"])) {
      onlyKnown(s3Key, ["FilterRule"]);
      for (const rule of nodes(s3Key["FilterRule"])) {
        onlyKnown(rule, ["Name", "Value"]);
        const [name, ...moreNames] = texts(rule, "Name");
        const [value, ...moreValues] = texts(rule, "Value");
        if (name === undefined || value === undefined || moreNames.length || moreValues.length) throw s3Error("MalformedXML");
        const kind = name.toLowerCase();
        if (kind !== "prefix" && kind !== "suffix") throw s3Error("InvalidArgument", `filter rule name must be either prefix or suffix, not ${name}`);
        if (out[kind] !== undefined) throw s3Error("InvalidArgument", `Cannot specify more than one ${kind} rule in a filter.`);
        if (value.length > MAX_VALUE_LENGTH) throw s3Error("InvalidArgument", `A filter rule's value is at most ${MAX_VALUE_LENGTH} characters`);
        out[kind] = value;
      }
    }
  }
  return out;
}

/**
 * The rules of a NotificationConfiguration document; none for an empty one (which removes the
 * configuration). EventBridgeConfiguration is refused: this gateway has no EventBridge, and
 * accepting it silently would promise events that never go anywhere.
 */
export function parseNotificationConfiguration(doc: Record<string, unknown>): NotificationRuleDraft[] {
  const keys = Object.keys(doc).filter((k) => k !== "?xml");
  const [root] = keys.length === 1 && keys[0] === "NotificationConfiguration" ? nodes(doc["NotificationConfiguration"]) : [];
  if (!root) throw s3Error("MalformedXML");
  if ("EventBridgeConfiguration" in root) {
    throw s3Error("NotImplemented", "EventBridgeConfiguration is not supported by this gateway: name a notification target (arn:s3gw:events:...) in a TopicConfiguration or QueueConfiguration");
  }
  onlyKnown(root, SOURCES.map((s) => s.element));
  const drafts: NotificationRuleDraft[] = [];
  for (const { element, arn: arnElement, source } of SOURCES) {
    for (const config of nodes(root[element])) {
      onlyKnown(config, ["Id", arnElement, "Event", "Filter"]);
      const ids = texts(config, "Id");
      const arns = texts(config, arnElement);
      const events = texts(config, "Event");
      if (ids.length > 1 || arns.length !== 1 || events.length === 0) throw s3Error("MalformedXML");
      if (arns[0]!.length > MAX_ARN_LENGTH) throw s3Error("InvalidArgument", `An ARN is at most ${MAX_ARN_LENGTH} characters`);
      if (ids[0] !== undefined && (ids[0] === "" || ids[0].length > MAX_ID_LENGTH)) throw s3Error("InvalidArgument", `An Id is 1 to ${MAX_ID_LENGTH} characters`);
      for (const e of events) if (!isS3EventPattern(e)) throw s3Error("InvalidArgument", `The event is not supported for notifications: ${e}`);
      drafts.push({ id: ids[0] ?? randomBytes(16).toString("hex"), source, arn: arns[0]!, events: [...new Set(events)], ...parseFilter(config) });
    }
  }
  if (drafts.length > MAX_NOTIFICATION_RULES) throw s3Error("InvalidArgument", `A NotificationConfiguration has at most ${MAX_NOTIFICATION_RULES} configurations`);
  if (new Set(drafts.map((d) => d.id)).size !== drafts.length) throw s3Error("InvalidArgument", "Configuration Id must be unique within a NotificationConfiguration");
  return drafts;
}

function filterXml(rule: NotificationRule): Record<string, unknown> {
  const filterRules = [
    ...(rule.prefix === undefined ? [] : [{ Name: "prefix", Value: rule.prefix }]),
    ...(rule.suffix === undefined ? [] : [{ Name: "suffix", Value: rule.suffix }]),
  ];
  return filterRules.length === 0 ? {} : { Filter: { S3Key: { FilterRule: filterRules } } };
}

/** The stored rules as S3's document, each under the element it was written with; `arnOf` names the target. */
export function notificationConfigurationXml(rules: NotificationRule[], arnOf: (targetId: string) => string): Record<string, unknown> {
  const body: Record<string, unknown> = { "@_xmlns": S3_XMLNS };
  for (const { element, arn, source } of SOURCES) {
    const mine = rules.filter((r) => (r.source ?? "topic") === source);
    if (mine.length > 0) body[element] = mine.map((r) => ({ Id: r.id, [arn]: arnOf(r.targetId), Event: r.events, ...filterXml(r) }));
  }
  return { NotificationConfiguration: body };
}
