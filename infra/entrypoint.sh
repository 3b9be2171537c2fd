#!/bin/sh
# Container entry point: runs the app named by APP (global-router | regional-gateway).
#   serve    (default) start the server; it applies pending migrations at start-up
#   migrate  apply the migrations and exit
#   other    run that command as given (e.g. sh)
set -e
cd /app
case "${APP:-}" in
  global-router | regional-gateway) ;;
  *)
    echo "entrypoint: set APP to global-router or regional-gateway (got '${APP:-}')" >&2
    exit 64
    ;;
esac
if [ "$APP" = regional-gateway ] && [ -z "${REGION_ID:-}" ]; then
  echo "entrypoint: APP=regional-gateway needs REGION_ID (FI-HEL, DE-FRA or US-EAST)" >&2
  exit 64
fi
# Without a Postgres server, fall back to the embedded database on the data volume.
if [ -z "${DATABASE_URL:-}" ] && [ -z "${PGLITE_DIR:-}" ]; then
  export PGLITE_DIR=/var/lib/s3gw/pg
fi
if [ "$APP" = regional-gateway ] && [ -z "${STORAGE_DIR:-}" ]; then
  export STORAGE_DIR=/var/lib/s3gw/objects
fi

case "${1:-serve}" in
  serve) exec node --max-semi-space-size=8 "apps/$APP/src/server.ts" ;; # see scripts/start-stack.ts on the flag
  migrate) exec node "apps/$APP/src/migrate.ts" ;;
  *) exec "$@" ;;
esac
