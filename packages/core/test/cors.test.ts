import { describe, expect, it } from "vitest";
import { corsResponseHeaders, matchCorsRule, parseCorsConfiguration, requestedCorsHeaders, type CorsRule } from "../src/cors.ts";
import { isAppError } from "../src/errors.ts";
import { parseXml } from "../src/xml.ts";

const parse = (xml: string) => parseCorsConfiguration(parseXml(xml));
const rule = (body: string) => `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule>${body}</CORSRule></CORSConfiguration>`;
function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
  return "none";
}

describe("CORS configuration", () => {
  it("parses every element of a rule, header names as configured", () => {
    const [r] = parse(rule("<ID>web</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>Content-Type</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>"));
    expect(r).toEqual({ id: "web", allowedOrigins: ["https://*.example.com"], allowedMethods: ["PUT", "GET"], allowedHeaders: ["Content-Type", "x-amz-*"], exposeHeaders: ["ETag"], maxAgeSeconds: 3000 });
  });

  it("refuses what S3 refuses", () => {
    expect(code(() => parse(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>")))).toBe("InvalidRequest");
    expect(code(() => parse(rule("<AllowedOrigin>*.*.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")))).toBe("InvalidRequest");
    expect(code(() => parse(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*a*</AllowedHeader>")))).toBe("InvalidRequest");
    expect(code(() => parse(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>*</ExposeHeader>")))).toBe("InvalidRequest");
    expect(code(() => parse(rule("<AllowedMethod>GET</AllowedMethod>")))).toBe("MalformedXML");
    expect(code(() => parse(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>")))).toBe("MalformedXML");
    expect(code(() => parse(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Bogus>1</Bogus>")))).toBe("MalformedXML");
    expect(code(() => parse("<CORSConfiguration></CORSConfiguration>"))).toBe("MalformedXML");
    expect(code(() => parse("<Other><CORSRule/></Other>"))).toBe("MalformedXML");
    const many = `<CORSConfiguration>${"<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>".repeat(101)}</CORSConfiguration>`;
    expect(code(() => parse(many))).toBe("InvalidRequest");
    expect(parse(many.replace(/^(<CORSConfiguration>)<CORSRule>.*?<\/CORSRule>/, "$1")).length).toBe(100);
  });
});

describe("CORS matching", () => {
  const rules: CorsRule[] = [
    { allowedOrigins: ["https://app.example.com"], allowedMethods: ["PUT"], allowedHeaders: ["content-type"], exposeHeaders: ["ETag"], maxAgeSeconds: 60 },
    { allowedOrigins: ["*suffix"], allowedMethods: ["GET"], allowedHeaders: ["X-Amz-*"], exposeHeaders: [] },
    { allowedOrigins: ["*"], allowedMethods: ["HEAD"], allowedHeaders: ["*"], exposeHeaders: [] },
  ];

  it("takes the first rule matching origin, method and every requested header", () => {
    expect(matchCorsRule(rules, { origin: "https://app.example.com", method: "PUT", headers: ["content-type"] })).toBe(rules[0]);
    expect(matchCorsRule(rules, { origin: "https://app.example.com", method: "PUT", headers: ["content-type", "x-extra"] })).toBeUndefined();
    expect(matchCorsRule(rules, { origin: "foo.suffix", method: "GET", headers: ["x-amz-date", "x-amz-meta-a"] })).toBe(rules[1]);
    expect(matchCorsRule(rules, { origin: "foo.suffix", method: "GET", headers: ["authorization"] })).toBeUndefined();
    expect(matchCorsRule(rules, { origin: "foo.suffix", method: "DELETE", headers: [] })).toBeUndefined();
    expect(matchCorsRule(rules, { origin: "anything", method: "HEAD", headers: ["whatever"] })).toBe(rules[2]);
    // Origins are compared exactly: case and prefixes matter.
    expect(matchCorsRule(rules, { origin: "https://APP.example.com", method: "PUT", headers: [] })).toBeUndefined();
    expect(matchCorsRule(rules, { origin: "https://app.example.com.evil", method: "PUT", headers: [] })).toBeUndefined();
  });

  it("answers the rule's headers; a wildcard origin answers * without credentials", () => {
    const req = { origin: "https://app.example.com", method: "PUT", headers: requestedCorsHeaders(" Content-Type ,,") };
    expect(corsResponseHeaders(rules[0]!, req, true)).toEqual({
      "access-control-allow-origin": "https://app.example.com", "access-control-allow-methods": "PUT", "access-control-allow-credentials": "true",
      "access-control-expose-headers": "ETag", "access-control-allow-headers": "content-type", "access-control-max-age": "60",
    });
    expect(corsResponseHeaders(rules[2]!, { origin: "x", method: "HEAD", headers: [] }, false)).toEqual({ "access-control-allow-origin": "*", "access-control-allow-methods": "HEAD" });
  });
});
