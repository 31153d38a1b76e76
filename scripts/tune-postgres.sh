#!/usr/bin/env bash
# Gives the machine's local PostgreSQL the memory settings docker-compose.yml gives the db service, scaled
# to this machine: shared_buffers a quarter of the RAM (at most SHARED_BUFFERS_MAX_MB, default 8 GB), so
# HNSW and GIN indexes stay in memory. PostgreSQL's stock 128 MB holds neither the HNSW index of 100,000
# 1024-d chunks (~260 MB) nor the rows a search reads; search latency then depends on the OS page cache.
# For benchmarks on a bare machine (npm run bench:search); restarts PostgreSQL. Needs root.
set -euo pipefail

PG_MAJOR="$(psql -h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}" -d postgres -tAc 'SHOW server_version_num' | cut -c1-2)"
CONF_DIR="/etc/postgresql/${PG_MAJOR}/main/conf.d"
if [ ! -d "$CONF_DIR" ]; then
  echo "tune-postgres: no $CONF_DIR (not a Debian-packaged PostgreSQL); set shared_buffers yourself" >&2
  exit 1
fi
ram_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 ))
shared_mb=$(( ram_mb / 4 ))
max_mb="${SHARED_BUFFERS_MAX_MB:-8192}"
[ "$shared_mb" -gt "$max_mb" ] && shared_mb="$max_mb"
cat > "$CONF_DIR/zhiku.conf" <<CONF
# Written by zhiku's scripts/tune-postgres.sh
shared_buffers = ${shared_mb}MB
effective_cache_size = $(( ram_mb / 2 ))MB
max_parallel_maintenance_workers = 2
CONF
pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" main restart
echo "tune-postgres: shared_buffers = ${shared_mb}MB (restarted PostgreSQL ${PG_MAJOR})"
