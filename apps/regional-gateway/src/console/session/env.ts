import type { ConsoleFlash } from "@s3gw/schema-regional";
import type { Role } from "@s3gw/core";
import type { AppEnv } from "../../env.ts";

/** The app's own fetch: the console calls `/api/...` through it, in-process. */
export type AppFetch = (request: Request, env: AppEnv["Bindings"]) => Response | Promise<Response>;

/** The signed-in user of a console request (set by requireSession). */
export interface ConsoleSession {
  /** SHA-256 of the session id (the row's key); the id itself lives only in the cookie. */
  hash: string;
  /** The bearer token the user signed in with; sent to the API, never rendered. */
  token: string;
  tokenId: string;
  role: Role;
  /** Set when the token may only see one customer. */
  customerId: string | null;
  csrfSecret: string;
  /** The flash message left by the previous POST, shown once. */
  flash: ConsoleFlash | null;
}

export interface ConsoleEnv {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    session: ConsoleSession;
    appFetch: AppFetch;
    /** The region's console assets with their cache-busting version (see assets/routes.ts). */
    assetVersion: string;
  };
}
