import { s3Error } from "@s3gw/core";
import type { Customer } from "./customers.ts";

/**
 * Whether the customer's standing lets it make this S3 request: an active customer may do
 * anything its key allows; a suspended one only reads, and only if its suspension allows reads;
 * an offboarded one (a tombstone) nothing. Reads the (cached) profile only: no SQL on the hot path.
 */
export function assertCustomerStanding(customer: Customer, operation: { permission: "read" | "write" } | undefined): void {
  if (customer.status === "active") return;
  if (customer.status === "suspended") {
    const reading = operation?.permission === "read";
    if (reading && customer.suspendedReads === "allowed") return;
    throw s3Error("AccessDenied", `The account of customer ${customer.customerId} is suspended${reading ? " (reads are refused too)" : ""}`);
  }
  throw s3Error("AccessDenied", `Customer ${customer.customerId} is ${customer.status}`);
}
