#!/usr/bin/env bash
# Install everything the project needs, idempotently and without reading stdin:
#   Debian packages  postgresql-15, pgTAP, plpgsql_check (and node/npm if missing)
#   .venv            pip install -e '.[dev]', redone only when pyproject.toml/setup.py change
#   .tools/          the Supabase CLI, pinned (npm supabase@$SUPABASE_CLI_VERSION)
# A second run with everything present takes well under a second.
set -euo pipefail

SUPABASE_CLI_VERSION="2.117.0"
PG_MAJOR="15"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[bootstrap] %s\n' "$*"; }

# --- Debian packages ------------------------------------------------------------------------
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        # -n: fail instead of prompting for a password (CI and scripts have no stdin).
        sudo -n "$@"
    fi
}

is_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
for pkg in "postgresql-$PG_MAJOR" "postgresql-$PG_MAJOR-pgtap" "postgresql-$PG_MAJOR-plpgsql-check"; do
    if command -v dpkg-query >/dev/null && ! is_installed "$pkg"; then
        missing+=("$pkg")
    fi
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    missing+=(python3-venv)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if ! command -v apt-get >/dev/null; then
        log "missing: ${missing[*]} - install them with your package manager" >&2
        exit 1
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    # Debian 12 ships PostgreSQL 15; some Ubuntu releases ship another major version only.
    # (captured first: with pipefail, grep -q closing the pipe early would fail the test)
    policy="$(apt-cache policy "postgresql-$PG_MAJOR" 2>/dev/null || true)"
    if ! grep -q 'Candidate: [0-9]' <<<"$policy"; then
        log "postgresql-$PG_MAJOR is not available from the configured apt sources." >&2
        log "Enable the PostgreSQL project's apt repository (PGDG) for this release, then re-run." >&2
        exit 1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}" </dev/null
fi

# --- Python virtualenv ----------------------------------------------------------------------
stamp_of() { cat pyproject.toml setup.py 2>/dev/null | sha256sum | cut -d' ' -f1; }
venv_stamp=".venv/.dashin-install-stamp"
if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    python3 -m venv .venv
fi
if [ "$(cat "$venv_stamp" 2>/dev/null)" != "$(stamp_of)" ]; then
    log "installing the project into .venv (pip install -e '.[dev]')"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    stamp_of >"$venv_stamp"
fi

# --- Supabase CLI (npm, pinned) -------------------------------------------------------------
cli_stamp=".tools/.supabase-cli-version"
if [ ! -x .tools/node_modules/.bin/supabase ] \
    || [ "$(cat "$cli_stamp" 2>/dev/null)" != "$SUPABASE_CLI_VERSION" ]; then
    log "installing supabase@$SUPABASE_CLI_VERSION into .tools/"
    mkdir -p .tools
    npm install --prefix .tools --save-exact --no-audit --no-fund --loglevel=error \
        "supabase@$SUPABASE_CLI_VERSION" </dev/null
    echo "$SUPABASE_CLI_VERSION" >"$cli_stamp"
fi

log "ready"
