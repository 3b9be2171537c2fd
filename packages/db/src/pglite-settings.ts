// How the embedded engine (PGlite: Postgres compiled to WASM, running single-user in this
// process) is configured, and what its durability is.
//
// Durability. PGlite mounts the data directory with Emscripten's NODEFS, whose writes are plain
// synchronous write(2) calls (fs.writeSync) made while the statement runs. Postgres itself runs
// with its defaults apart from PGlite's `-F` (fsync off: Emscripten has no working fsync
// anyway) and synchronous_commit stays on, so COMMIT returns only after XLogFlush has written
// the commit record to the WAL segment file: once a statement or transaction has answered, its
// WAL is in the kernel's page cache, which outlives the process. A crash or SIGKILL of the
// process therefore loses nothing acknowledged; on the next start Postgres replays the WAL
// from the last checkpoint. What it does not survive is a crash of the machine itself (power
// loss, kernel panic) before the kernel wrote the pages back: that is the embedded default's
// stated limit, the same as before this file; a Postgres server is the answer where it matters.
//
// PGlite's `relaxedDurability` only decides whether a query waits for the filesystem's
// `syncToFs` (IndexedDB/OPFS in a browser). For NODEFS that is a no-op, so turning it on skips
// an await and a mutex per statement and changes nothing about what is on disk.
//
// Never set synchronous_commit=off here: single-user Postgres has no WAL writer process, so
// commit records would sit in WAL buffers (WASM memory) until some later flush, and a killed
// process would lose acknowledged operations and their audit rows.

/** PGlite's own start parameters (PGlite.defaultStartParams in @electric-sql/pglite 0.5). */
const PGLITE_DEFAULT_START_PARAMS = [
  "--single",
  "-F",
  "-O",
  "-j",
  "-c", "search_path=public",
  "-c", "exit_on_error=false",
  "-c", "log_checkpoints=false",
  "-c", "max_worker_processes=0",
  "-c", "max_parallel_workers=0",
  "-c", "max_parallel_workers_per_gather=0",
  "-c", "io_method=sync",
  "-c", "max_parallel_maintenance_workers=0",
];

/**
 * Memory settings. Every page of shared_buffers that Postgres touches becomes resident WASM
 * memory that is never given back, so initdb's 128 MB default would let each embedded database
 * grow to ~130 MiB of buffer pool alone. A region's metadata is small and the data directory
 * sits in the kernel's page cache anyway, so 16 MB of buffers costs a read(2), not a disk read,
 * on a miss.
 */
export const EMBEDDED_SERVER_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: "16MB",
  // One backend (single-user mode): no need to size shared memory for initdb's 100 connections.
  max_connections: "4",
  autovacuum_worker_slots: "1",
  synchronous_commit: "on",
};

export function embeddedStartParams(settings: Readonly<Record<string, string>> = EMBEDDED_SERVER_SETTINGS): string[] {
  return [...PGLITE_DEFAULT_START_PARAMS, ...Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`])];
}
