#!/usr/bin/env bash
# Installs the pgvector extension into the machine's local PostgreSQL from Debian trixie's
# source package (bookworm has none for PostgreSQL 15). Idempotent: quick when `vector` is available.
set -euo pipefail

PGHOST_ADDR="${PGHOST:-127.0.0.1}"
PGUSER_NAME="${PGUSER:-postgres}"

available() {
  psql -h "$PGHOST_ADDR" -U "$PGUSER_NAME" -d postgres -tAc \
    "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'" 2>/dev/null | grep -q 1
}

if available; then
  echo "pgvector: already available"
  exit 0
fi

PG_MAJOR="$(psql -h "$PGHOST_ADDR" -U "$PGUSER_NAME" -d postgres -tAc 'SHOW server_version_num' | cut -c1-2)"
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"

if [ "$(id -u)" -ne 0 ]; then
  echo "pgvector: not installed and this script needs root to install it" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! dpkg -s "postgresql-server-dev-${PG_MAJOR}" >/dev/null 2>&1 || ! command -v make >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq "postgresql-server-dev-${PG_MAJOR}" make gcc >/dev/null
fi

# The mirror URI comes from the machine's own Debian sources, so no host name is written here.
MIRROR="$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | grep -i debian | head -n1 || true)"
if [ -z "$MIRROR" ]; then
  MIRROR="$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)"
fi
if [ -z "$MIRROR" ]; then
  echo "pgvector: could not find a Debian mirror URI in the apt sources" >&2
  exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/archives/partial" "$WORK/sources.list.d"
echo "deb-src [trusted=yes] $MIRROR trixie main" > "$WORK/sources.list"
APT_OPTS=(
  -o "Dir::Etc::SourceList=$WORK/sources.list"
  -o "Dir::Etc::SourceParts=$WORK/sources.list.d"
  -o "Dir::State::Lists=$WORK/lists"
  -o "Dir::Cache::Archives=$WORK/archives"
  -o "APT::Sandbox::User=root"
)
apt-get "${APT_OPTS[@]}" update -qq
(cd "$WORK" && apt-get "${APT_OPTS[@]}" source --download-only pgvector >/dev/null)
tar -xf "$WORK"/pgvector_*.orig.tar.* -C "$WORK"
SRC="$(find "$WORK" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
make -s -C "$SRC" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
make -s -C "$SRC" install PG_CONFIG="$PG_CONFIG" >/dev/null

if available; then
  echo "pgvector: installed $(basename "$SRC")"
else
  echo "pgvector: build finished but PostgreSQL does not list the extension" >&2
  exit 1
fi
