import { expect } from "vitest";
import { bearer } from "./harness.ts";

export interface Dsr {
  request_id: string;
  customer_id: string;
  data_subject_id: string;
  request_type: string;
  status: string;
  received_at: string;
  response_deadline: string;
  deadline_state: "overdue" | "near" | "ok" | null;
  overdue: boolean;
  affected_objects: Record<string, unknown>[];
  result: Record<string, any> | null;
  notes: string | null;
  requested_by: string | null;
  completed_at: string | null;
}

/** A JSON call to the GDPR API with a bearer token. */
export function gdprApi(url: string) {
  return (token: string, method: string, path: string, body?: unknown) =>
    fetch(`${url}/api/gdpr${path}`, {
      method,
      headers: { "content-type": "application/json", ...bearer(token) },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
}

export async function json<T = Dsr>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}
