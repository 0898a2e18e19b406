-- The two PostgreSQL roles of Encaisse and their database, made by a superuser (pgi/db_roles.py
-- says why). Idempotent; run by scripts/setup.sh and by the PostgreSQL container of
-- docker-compose.yml (scripts/docker-db-init.sh). The grants of the runtime role are given
-- afterwards by the owner: `manage.py grant_runtime_role`.
--
-- psql variables: owner, app, dbname; owner_options (CREATEDB in development, where the owner
-- creates the test databases; NOCREATEDB in production); owner_password, app_password ('' for
-- none: trust or peer authentication). A role that already exists keeps its attributes.
\set ON_ERROR_STOP on
\set QUIET on

SELECT format('CREATE ROLE %I LOGIN %s', :'owner', :'owner_options')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_password')
 WHERE :'owner_password' <> '' \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_password')
 WHERE :'app_password' <> '' \gexec

-- The database belongs to the owner: created so, or handed over when an older setup made it
-- as another role (and so is the test database a previous run may have left).
SELECT format('CREATE DATABASE %I OWNER %I', :'dbname', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', datname, :'owner') FROM pg_database
 WHERE datname IN (:'dbname', 'test_' || :'dbname') AND datdba <> :'owner'::regrole \gexec

\connect :"dbname"
\set QUIET on
-- Only the owner creates objects (PostgreSQL < 15 let every role create tables in public).
SELECT format('ALTER SCHEMA public OWNER TO %I', :'owner') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Tables, then the sequences they did not carry along, views and functions an older setup
-- created as another role (the objects of extensions stay theirs).
SELECT format('ALTER %s %s OWNER TO %I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             ELSE 'TABLE' END,
              c.oid::regclass, :'owner')
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
   AND c.relowner <> :'owner'::regrole
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') \gexec
SELECT format('ALTER SEQUENCE %s OWNER TO %I', c.oid::regclass, :'owner')
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
   AND c.relowner <> :'owner'::regrole
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') \gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'owner')
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> :'owner'::regrole
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') \gexec
