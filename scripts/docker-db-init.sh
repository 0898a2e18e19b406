#!/bin/sh
# Run once by the PostgreSQL container, on its first start (docker-compose.yml mounts it in
# /docker-entrypoint-initdb.d): the two roles of Encaisse and their database, from the same
# scripts/db_roles.sql as scripts/setup.sh. For a data volume made before the two roles:
#   docker compose exec db /docker-entrypoint-initdb.d/encaisse-roles.sh
set -eu
psql -X -q --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v owner=encaisse_owner -v app=encaisse_app -v dbname=encaisse -v owner_options=NOCREATEDB \
  -v owner_password="$DB_OWNER_PASSWORD" -v app_password="$DB_APP_PASSWORD" \
  -f /encaisse/db_roles.sql
