#!/usr/bin/env bash
# Start a throw-away PostgreSQL cluster on 127.0.0.1 for the server persistence tests and
# print the URL to export as SPACERANGE_TEST_PG.  Debian/Ubuntu (package `postgresql`):
#   apt-get install -y postgresql
#   eval "$(tools/start_test_postgres.sh)"     # exports SPACERANGE_TEST_PG
#   .venv/bin/pytest tests/server/test_persistence.py
#   tools/start_test_postgres.sh stop
# The cluster lives in $PGTEST_DIR (default /tmp/spacerange-pg), listens only on loopback,
# trusts local connections (test data only) and runs as the `postgres` system user.
set -euo pipefail
PGTEST_DIR=${PGTEST_DIR:-/tmp/spacerange-pg}
PGTEST_PORT=${PGTEST_PORT:-54329}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BIN/initdb" ] || { echo "postgresql not installed: apt-get install -y postgresql" >&2; exit 1; }
as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }

if [ "${1:-start}" = stop ]; then
  as_pg "$BIN/pg_ctl" -D "$PGTEST_DIR/data" -m fast stop >&2 || true
  exit 0
fi
if [ ! -f "$PGTEST_DIR/data/PG_VERSION" ]; then
  mkdir -p "$PGTEST_DIR"
  chown postgres: "$PGTEST_DIR" 2>/dev/null || true
  as_pg "$BIN/initdb" -D "$PGTEST_DIR/data" -U postgres --auth=trust -E UTF8 >&2
fi
if ! as_pg "$BIN/pg_ctl" -D "$PGTEST_DIR/data" status >/dev/null 2>&1; then
  as_pg "$BIN/pg_ctl" -D "$PGTEST_DIR/data" -l "$PGTEST_DIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PGTEST_PORT -k $PGTEST_DIR" start >&2
fi
as_pg "$BIN/psql" -h 127.0.0.1 -p "$PGTEST_PORT" -U postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname='spacerange_test'" | grep -q 1 ||
  as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PGTEST_PORT" -U postgres spacerange_test
echo "export SPACERANGE_TEST_PG=postgresql://postgres@127.0.0.1:$PGTEST_PORT/spacerange_test"
