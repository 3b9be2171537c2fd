// What the benchmark needs from every system it measures, however it was started.
import type { S3Target } from "./presign.ts";

export interface Endpoint {
  /** row label in the tables, e.g. "gateway, Postgres server, via global" */
  label: string;
  /** short id used for ratios and log files, e.g. "pg-global" */
  id: string;
  target: S3Target;
}

export interface RunningSystem {
  /** e.g. "gateway, Postgres server" */
  name: string;
  /** the same data served at one or more endpoints (via global, direct) */
  endpoints: Endpoint[];
  /** the processes whose memory counts for this system, by name */
  pids(): Promise<Record<string, number>>;
  /**
   * The processes whose CPU time counts, by name, read just before each load (a database
   * server's backends come and go). Defaults to pids().
   */
  cpuPids?(): Promise<Record<string, number[]>>;
  stop(): Promise<void>;
  /** the tail of the processes' own output, for a failure report */
  logs(): string;
}
