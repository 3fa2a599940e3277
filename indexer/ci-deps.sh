#!/usr/bin/env bash
# System packages the indexer tests need: PostgreSQL 15 server binaries (initdb, pg_ctl, postgres in
# /usr/lib/postgresql/15/bin). The tests start a throwaway cluster on a free port and remove it after;
# the Debian package's default cluster is not used. Called from .ci/run.
set -euo pipefail
if [ -x /usr/lib/postgresql/15/bin/initdb ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update && apt-get install -y postgresql
