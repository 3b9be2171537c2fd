import { isAppError } from "@s3gw/core";
import { expect } from "vitest";
import { adminAuth } from "./harness.ts";

export interface KeyBody {
  key_id: string;
  arn: string;
  customer_id: string;
  description: string | null;
  is_default: boolean;
  state: string;
  current_version: number;
  deletion_date: string | null;
}

const json = { "content-type": "application/json" };
export const keysPath = (customer: string) => `/api/customers/${customer}/keys`;

/** A call on the key API (POST with a JSON body unless `method` says otherwise), as the admin by default. */
export function keyApi(url: string, path: string, opts: { method?: string; body?: unknown; auth?: Record<string, string> } = {}): Promise<Response> {
  const method = opts.method ?? (opts.body === undefined ? "GET" : "POST");
  return fetch(`${url}${path}`, { method, headers: { ...json, ...(opts.auth ?? adminAuth) }, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
}

export async function createKey(url: string, customer: string, body: unknown = {}, auth?: Record<string, string>): Promise<KeyBody> {
  const res = await keyApi(url, keysPath(customer), { body, ...(auth ? { auth } : {}) });
  expect(res.status).toBe(201);
  return (await res.json()) as KeyBody;
}

/** Posts a state change of a key and returns the answer's status and body. */
export async function keyAction(url: string, customer: string, keyId: string, action: string, body: unknown = {}, auth?: Record<string, string>) {
  const res = await keyApi(url, `${keysPath(customer)}/${keyId}/${action}`, { body, ...(auth ? { auth } : {}) });
  return { status: res.status, body: (await res.json()) as KeyBody & { error?: { code: string; message: string } } };
}

/** The KMS error code a provider call failed with (or "ok"). */
export async function kmsOutcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
}
