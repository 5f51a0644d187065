-- platform.sql: what the Supabase platform provides and plain PostgreSQL 15 lacks.
--
-- NOT a migration. The local stack and the test clusters apply it before the
-- migrations so that the very same migrations run on plain Postgres and on a
-- real Supabase project. Every statement is guarded, so on Supabase (where all
-- of this already exists) the file is a no-op.
--
-- Provided here, mirroring Supabase's own definitions:
--   * roles anon, authenticated, service_role (bypassrls) and authenticator;
--   * the default privileges Supabase grants on the public schema;
--   * schema extensions (pgcrypto), schema auth with auth.users and
--     auth.uid() / auth.role() / auth.jwt() reading the PostgREST claims;
--   * the supabase_realtime publication;
--   * realtime.messages with realtime.send() and realtime.broadcast_changes()
--     stand-ins (Supabase's Realtime server reads that table; here it only
--     records what would have been broadcast).

-- Roles ----------------------------------------------------------------------
do $platform$
begin
    if to_regrole('anon') is null then
        create role anon nologin noinherit;
    end if;
    if to_regrole('authenticated') is null then
        create role authenticated nologin noinherit;
    end if;
    if to_regrole('service_role') is null then
        create role service_role nologin noinherit bypassrls;
    end if;
    if to_regrole('authenticator') is null then
        create role authenticator login noinherit;
    end if;
end
$platform$;

-- PostgREST logs in as authenticator and switches to one of the API roles.
do $platform$
declare
    api_role text;
begin
    foreach api_role in array array['anon', 'authenticated', 'service_role'] loop
        if not pg_has_role('authenticator', api_role, 'member') then
            execute format('grant %I to authenticator', api_role);
        end if;
    end loop;
end
$platform$;

-- The public schema, as Supabase sets it up: every API role may use it and
-- gets default privileges on new objects; migrations narrow them down.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public
grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public
grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public
grant all on sequences to anon, authenticated, service_role;

-- Extensions -----------------------------------------------------------------
create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
create extension if not exists pgcrypto with schema extensions;

-- Auth -----------------------------------------------------------------------
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

-- The subset of GoTrue's auth.users that the project and its tests touch.
create table if not exists auth.users (
    instance_id uuid,
    id uuid primary key,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb default '{}'::jsonb,
    raw_user_meta_data jsonb default '{}'::jsonb,
    is_super_admin boolean,
    phone text,
    banned_until timestamptz,
    deleted_at timestamptz,
    is_anonymous boolean not null default false,
    created_at timestamptz default now(),
    updated_at timestamptz default now()
);

do $platform$
begin
    if to_regprocedure('auth.uid()') is null then
        -- Same bodies as Supabase: PostgREST puts the verified JWT claims into
        -- request.jwt.claims (older versions: request.jwt.claim.*).
        create function auth.uid() returns uuid
        language sql stable
        as $fn$
            select coalesce(
                nullif(current_setting('request.jwt.claim.sub', true), ''),
                (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
            )::uuid
        $fn$;
    end if;
    if to_regprocedure('auth.role()') is null then
        create function auth.role() returns text
        language sql stable
        as $fn$
            select coalesce(
                nullif(current_setting('request.jwt.claim.role', true), ''),
                (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
            )::text
        $fn$;
    end if;
    if to_regprocedure('auth.jwt()') is null then
        create function auth.jwt() returns jsonb
        language sql stable
        as $fn$
            select coalesce(
                nullif(current_setting('request.jwt.claim', true), ''),
                nullif(current_setting('request.jwt.claims', true), '')
            )::jsonb
        $fn$;
    end if;
end
$platform$;

grant execute on function auth.uid() to anon, authenticated, service_role;
grant execute on function auth.role() to anon, authenticated, service_role;
grant execute on function auth.jwt() to anon, authenticated, service_role;

-- Realtime -------------------------------------------------------------------
do $platform$
begin
    if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
end
$platform$;

create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
    id uuid not null default gen_random_uuid() primary key,
    topic text not null,
    extension text not null,
    payload jsonb,
    event text,
    private boolean default false,
    inserted_at timestamp without time zone not null default now(),
    updated_at timestamp without time zone not null default now()
);

do $platform$
begin
    if to_regprocedure('realtime.send(jsonb, text, text, boolean)') is null then
        create function realtime.send(
            payload jsonb, event text, topic text, private boolean default true
        ) returns void
        language sql security definer set search_path = ''
        as $fn$
            insert into realtime.messages (payload, event, topic, private, extension)
            values (payload, event, topic, private, 'broadcast')
        $fn$;
    end if;
    if to_regprocedure(
        'realtime.broadcast_changes(text, text, text, text, text, record, record, text)'
    ) is null then
        create function realtime.broadcast_changes(
            topic_name text,
            event_name text,
            operation text,
            table_name text,
            table_schema text,
            new record,
            old record,
            level text default 'ROW'
        ) returns void
        language plpgsql security definer set search_path = ''
        as $fn$
        begin
            perform realtime.send(
                jsonb_build_object(
                    'operation', operation,
                    'table', table_name,
                    'schema', table_schema,
                    -- Statement-level broadcasts carry no row images.
                    'record', case when level = 'ROW' then to_jsonb(new) end,
                    'old_record', case when level = 'ROW' then to_jsonb(old) end
                ),
                event_name,
                topic_name,
                true
            );
        end
        $fn$;
    end if;
end
$platform$;
