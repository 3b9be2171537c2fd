import { operationsLog } from "@s3gw/schema-regional";
import type { RegionalDb } from "../env.ts";

export interface OperationRow {
  requestId: string;
  customerId: string | null;
  operationType: string;
  bucketName: string | null;
  objectKey: string | null;
  result: "success" | "denied" | "error";
  statusCode: number;
  errorCode: string | null;
  bytesTransferred: number;
  sourceIp: string | null;
  sourceCountry: string | null;
  crossBorderTransfer: boolean;
  complianceInfo: Record<string, unknown>;
  durationMs: number;
  createdAt: Date;
}

export function resultOf(status: number): OperationRow["result"] {
  if (status === 401 || status === 403) return "denied";
  return status < 400 ? "success" : "error";
}

export async function recordOperation(db: RegionalDb, row: OperationRow): Promise<void> {
  await db.insert(operationsLog).values(row);
}
