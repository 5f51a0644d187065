-- Named queries of the local stack, loaded by dashin_sdk.local.queries.
-- The migration-history statements are the ones the Supabase CLI (pkg/migration/history.go)
-- runs, so the table it reads is the table we write.

-- name: platform_missing
-- platform.sql supplies what Supabase has and plain Postgres lacks; on a database where
-- auth.uid() and the authenticated role exist it must not run again.
select
    to_regprocedure('auth.uid()') is null
    or not exists (
        select 1 from pg_catalog.pg_roles
        where rolname = 'authenticated'
    ) as missing;

-- name: history_table_exists
select to_regclass('supabase_migrations.schema_migrations') is not null as present;

-- name: applied_versions
select version from supabase_migrations.schema_migrations
order by version;

-- name: create_history_table
set local lock_timeout = '4s';
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
    version text not null primary key
);
alter table supabase_migrations.schema_migrations
add column if not exists statements text[];
alter table supabase_migrations.schema_migrations
add column if not exists name text;

-- name: insert_version
insert into supabase_migrations.schema_migrations (version, name, statements)
values (%(version)s, %(name)s, %(statements)s);

-- name: reset_session
reset all;

-- name: create_seed_table
set local lock_timeout = '4s';
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.seed_files (
    path text not null primary key,
    hash text not null
);

-- name: seed_hash
select hash from supabase_migrations.seed_files
where path = %(path)s;

-- name: upsert_seed_file
insert into supabase_migrations.seed_files (path, hash)
values (%(path)s, %(hash)s)
on conflict (path) do update set hash = excluded.hash;
