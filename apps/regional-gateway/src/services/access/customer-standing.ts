import { s3Error } from "@s3gw/core";
import type { Customer } from "./customers.ts";

/**
 * Whether the customer's standing lets it make this S3 request: an active customer may do
 * anything its key allows; a suspended one only reads, and only if its suspension allows reads;
 * an offboarded one (a tombstone) nothing. In a region move: the source reads only while
 * fenced (moving_out), and answers nothing once moved; the target reads only once its copy is
 * verified, and writes once the move has activated it. Reads the (cached) profile only: no SQL on the hot path.
 */
export function assertCustomerStanding(customer: Customer, operation: { permission: "read" | "write" } | undefined): void {
  if (customer.status === "active") return;
  if (customer.status === "suspended") {
    const reading = operation?.permission === "read";
    if (reading && customer.suspendedReads === "allowed") return;
    throw s3Error("AccessDenied", `The account of customer ${customer.customerId} is suspended${reading ? " (reads are refused too)" : ""}`);
  }
  if (customer.status === "moving_out") {
    // The move's fence: nothing written here now could reach the target region's copy.
    const reading = operation?.permission === "read";
    if (reading && customer.suspendedReads === "allowed") return;
    throw s3Error("AccessDenied", `Customer ${customer.customerId} is being moved to region ${customer.movedToRegion ?? "?"}: ${reading ? "reads are refused (it was suspended so before the move)" : "writes are refused until the move completes; reads are served"}`);
  }
  if (customer.status === "moved") {
    throw s3Error("AccessDenied", `Customer ${customer.customerId} has moved to region ${customer.movedToRegion ?? "?"}; send its requests through the global endpoint`);
  }
  if (customer.status === "moving_in") {
    // Reads only once the copy is verified complete (the move's verify step), writes after its activation.
    const reading = operation?.permission === "read";
    if (reading && customer.suspendedReads === "allowed") return;
    throw s3Error("AccessDenied", `Customer ${customer.customerId} is being moved into this region: ${reading ? "reads are served once its copy is verified" : "writes are refused until the move completes"}`);
  }
  throw s3Error("AccessDenied", `Customer ${customer.customerId} is ${customer.status}`);
}
