"""The two PostgreSQL roles: the owner migrates, the application only reads and writes rows.

The owner (`encaisse_owner`) owns the database, its schema and every table, and runs
`manage.py migrate`. The runtime role (`encaisse_app`, the user of DATABASE_URL for the web
server, the worker and beat) is granted rows only: it cannot TRUNCATE the register, disable a
trigger, or alter the schema, whatever the code it runs (issue 23). The grants are given once
per database by the owner (`manage.py grant_runtime_role`) and follow every table that later
migrations create (ALTER DEFAULT PRIVILEGES): a new migration needs nothing.

Creating the roles themselves is the cluster administrator's job (scripts/db_roles.sql, run by
scripts/setup.sh and by the PostgreSQL container of docker-compose.yml).
"""

from psycopg import sql

TABLE_PRIVILEGES = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
SEQUENCE_PRIVILEGES = sql.SQL("USAGE, SELECT, UPDATE")


def runtime_grants(*, database: str, role: str) -> list[sql.Composed]:
    """What the owner grants `role` in `database`, now and on the tables it creates later.

    No TRUNCATE, no TRIGGER, no REFERENCES, no CREATE on the schema: only the rows."""
    who = sql.Identifier(role)
    return [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), who),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(who),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA public TO {}").format(TABLE_PRIVILEGES, who),
        sql.SQL("GRANT {} ON ALL SEQUENCES IN SCHEMA public TO {}").format(
            SEQUENCE_PRIVILEGES, who
        ),
        # Tables and sequences the owner (the role running this, and `migrate`) creates later.
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {} ON TABLES TO {}").format(
            TABLE_PRIVILEGES, who
        ),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {} ON SEQUENCES TO {}").format(
            SEQUENCE_PRIVILEGES, who
        ),
    ]


def grant_runtime_role(cursor, *, role: str) -> bool:
    """Grants `role` the rows of the current database, run by the owner; False when `role` is
    the connected role itself (one role does everything: nothing to grant, nothing refused)."""
    cursor.execute("SELECT current_user, current_database()")
    user, database = cursor.fetchone()
    if role == user:
        return False
    for statement in runtime_grants(database=database, role=role):
        cursor.execute(statement.as_string(cursor.connection))
    return True
