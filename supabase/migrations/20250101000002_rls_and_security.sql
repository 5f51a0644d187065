-- 002 RLS policies and security: identity helpers, policies for the four
-- roles, profile provisioning from auth.users, role-change guard, audit log.
--
-- Who may do what (spec, "Row Level Security"):
--   super_admin   everything, every agency
--   agency_admin  full CRUD inside their own agency, user management
--   researcher    reads campaigns, reads/creates/updates leads (no deletes,
--                 no campaign changes)
--   client        reads the campaigns they are a member of and their leads
-- Agency and role are looked up in user_profiles by auth.uid(); no other JWT
-- claim is trusted for authorisation.

-- Identity helpers -----------------------------------------------------------
-- SECURITY DEFINER so they read user_profiles without recursing into its own
-- policies; call them as (select private.fn()) so Postgres evaluates them once
-- per statement (an InitPlan) instead of once per row.
create function private.current_agency_id() returns uuid
language sql stable security definer
set search_path = ''
as $$
    select p.agency_id from public.user_profiles as p where p.id = (select auth.uid())
$$;

create function private.current_user_role() returns public.user_role
language sql stable security definer
set search_path = ''
as $$
    select p.role from public.user_profiles as p where p.id = (select auth.uid())
$$;

create function private.is_super_admin() returns boolean
language sql stable security definer
set search_path = ''
as $$
    select coalesce(
        (select p.role = 'super_admin' from public.user_profiles as p where p.id = (select auth.uid())),
        false
    )
$$;

-- The agencies the caller reaches in one of the given roles: their own agency
-- if their role is listed, every agency for a super admin, else none.
-- Policies test agency_id = any(...) against it, e.g. caller_agency_ids(
-- '{agency_admin,researcher}') for "agency staff": one InitPlan per statement,
-- and no OR in front of the indexed agency_id.
create function private.caller_agency_ids(roles public.user_role[]) returns uuid[]
language sql stable security definer
set search_path = ''
as $$
    select case
        when p.role = 'super_admin'
            then (select coalesce(array_agg(a.id), '{}') from public.agencies as a)
        when p.role = any(roles) and p.agency_id is not null then array[p.agency_id]
        else '{}'::uuid[]
    end
    from public.user_profiles as p
    where p.id = (select auth.uid())
$$;

-- Campaigns a client has been given access to.
create function private.member_campaign_ids() returns uuid[]
language sql stable security definer
set search_path = ''
as $$
    select coalesce(array_agg(m.campaign_id), '{}')
    from public.campaign_members as m
    where m.user_id = (select auth.uid())
$$;

revoke all on function private.current_agency_id() from public;
revoke all on function private.current_user_role() from public;
revoke all on function private.is_super_admin() from public;
revoke all on function private.member_campaign_ids() from public;
revoke all on function private.caller_agency_ids(public.user_role[]) from public;
grant execute on function private.caller_agency_ids(public.user_role[])
to authenticated, service_role;
grant execute on function private.current_agency_id() to authenticated, service_role;
grant execute on function private.current_user_role() to authenticated, service_role;
grant execute on function private.is_super_admin() to authenticated, service_role;
grant execute on function private.member_campaign_ids() to authenticated, service_role;

-- New rows default to the caller's agency, so API clients need not send it.
alter table public.campaigns alter column agency_id set default private.current_agency_id();
alter table public.campaigns alter column created_by set default auth.uid();
alter table public.leads alter column agency_id set default private.current_agency_id();
alter table public.leads alter column created_by set default auth.uid();

-- Profiles from auth.users -----------------------------------------------------
-- Agency and role come from raw_app_meta_data, which only the service role can
-- write (raw_user_meta_data is user-controlled and never trusted). A user who
-- signs up without it becomes a client of no agency: they can sign in but see
-- nothing until an admin places them.
create function private.create_profile_for_new_user() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
    insert into public.user_profiles (id, email, agency_id, role)
    values (
        new.id,
        new.email,
        nullif(new.raw_app_meta_data ->> 'agency_id', '')::uuid,
        coalesce(nullif(new.raw_app_meta_data ->> 'role', ''), 'client')::public.user_role
    )
    on conflict (id) do nothing;
    return new;
end
$$;

create function private.sync_profile_email() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
    update public.user_profiles set email = new.email where id = new.id;
    return new;
end
$$;

create trigger on_auth_user_created after insert on auth.users
for each row execute function private.create_profile_for_new_user();

create trigger on_auth_user_email_changed after update of email on auth.users
for each row when (old.email is distinct from new.email)
execute function private.sync_profile_email();

alter table public.user_profiles
drop constraint user_profiles_agency_required,
add constraint user_profiles_agency_required check (
    role in ('super_admin', 'client') or agency_id is not null
);

-- Only an admin changes a role or an agency, and only a super admin grants
-- super_admin or moves people between agencies.
create function private.guard_profile_privileges() returns trigger
language plpgsql
set search_path = ''
as $$
declare
    caller_role public.user_role;
    caller_agency uuid;
begin
    -- Trusted contexts (service_role, migrations, SECURITY DEFINER code).
    if current_user not in ('authenticated', 'anon') then
        return new;
    end if;
    if tg_op = 'UPDATE' and new.id is distinct from old.id then
        raise exception 'a profile''s id cannot change' using errcode = '42501';
    end if;
    if tg_op = 'UPDATE'
        and new.role is not distinct from old.role
        and new.agency_id is not distinct from old.agency_id then
        return new;
    end if;
    caller_role := (select private.current_user_role());
    caller_agency := (select private.current_agency_id());
    if caller_role = 'super_admin' then
        return new;
    end if;
    if caller_role = 'agency_admin'
        and new.role <> 'super_admin'
        and new.agency_id = caller_agency
        and (tg_op = 'INSERT' or old.agency_id = caller_agency) then
        return new;
    end if;
    raise exception 'only an admin may set a user''s role or agency (role %, agency %)',
        new.role, new.agency_id
        using errcode = '42501',
        hint = 'agency admins manage users of their own agency; super_admin is granted by a super admin';
end
$$;

create trigger guard_profile_privileges before insert or update on public.user_profiles
for each row execute function private.guard_profile_privileges();

-- Row level security -------------------------------------------------------------
alter table public.agencies enable row level security;
alter table public.user_profiles enable row level security;
alter table public.campaigns enable row level security;
alter table public.campaign_members enable row level security;
alter table public.leads enable row level security;

-- agencies: everyone reads their own; admins update theirs; super admins
-- create and delete.
create policy agencies_select on public.agencies for select to authenticated
using (
    id = (select private.current_agency_id())
    or id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
);
create policy agencies_insert on public.agencies for insert to authenticated
with check ((select private.is_super_admin()));
create policy agencies_update on public.agencies for update to authenticated
using (id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[]))
with check (id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[]));
create policy agencies_delete on public.agencies for delete to authenticated
using ((select private.is_super_admin()));

-- user_profiles: everyone sees themselves; staff see their agency's people;
-- admins manage them. Super admins also reach profiles of no agency (other
-- super admins, clients not yet placed), hence their explicit clause.
create policy user_profiles_select on public.user_profiles for select to authenticated
using (
    id = (select auth.uid())
    or (select private.is_super_admin())
    or agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
);
create policy user_profiles_insert on public.user_profiles for insert to authenticated
with check (
    (select private.is_super_admin())
    or agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);
create policy user_profiles_update on public.user_profiles for update to authenticated
using (
    id = (select auth.uid())
    or (select private.is_super_admin())
    or agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
)
with check (
    id = (select auth.uid())
    or (select private.is_super_admin())
    or agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);
create policy user_profiles_delete on public.user_profiles for delete to authenticated
using (
    (select private.is_super_admin())
    or (
        agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
        and id <> (select auth.uid())
    )
);

-- campaigns: staff read their agency's; clients read those they belong to;
-- only admins write.
create policy campaigns_select on public.campaigns for select to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher,client}'))::uuid[])
);
-- Restrictive: ANDed with the above, so it narrows clients without putting an
-- OR in front of the agency_id index.
create policy campaigns_select_client_scope on public.campaigns
as restrictive for select to authenticated
using (
    (select private.current_user_role()) is distinct from 'client'
    or id = any((select private.member_campaign_ids())::uuid[])
);
create policy campaigns_insert on public.campaigns for insert to authenticated
with check (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);
create policy campaigns_update on public.campaigns for update to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
)
with check (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);
create policy campaigns_delete on public.campaigns for delete to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);

-- campaign_members: admins manage; staff read; a member reads their own rows.
create policy campaign_members_select on public.campaign_members for select to authenticated
using (
    user_id = (select auth.uid())
    or agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
);
create policy campaign_members_insert on public.campaign_members for insert to authenticated
with check (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);
create policy campaign_members_delete on public.campaign_members for delete to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);

-- leads: staff read, create and update; admins delete; clients read the leads
-- of their campaigns.
create policy leads_select on public.leads for select to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher,client}'))::uuid[])
);
create policy leads_select_client_scope on public.leads
as restrictive for select to authenticated
using (
    (select private.current_user_role()) is distinct from 'client'
    or campaign_id = any((select private.member_campaign_ids())::uuid[])
);
create policy leads_insert on public.leads for insert to authenticated
with check (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
);
create policy leads_update on public.leads for update to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
)
with check (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
);
create policy leads_delete on public.leads for delete to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);

-- Audit log ----------------------------------------------------------------------
create type public.audit_action as enum ('insert', 'update', 'delete');

create table public.audit_log (
    id bigint generated always as identity primary key,
    table_name text not null,
    -- The row's id; for campaign_members (composite key) the campaign id.
    -- Null for an insert statement that created several rows: see row_ids.
    row_id uuid,
    -- Every row an insert statement created (one audit row per statement
    -- and agency, so a 1,000-lead import writes one audit row, not 1,000).
    row_ids uuid[],
    action public.audit_action not null,
    -- auth.uid() of the caller, or the acting user a trusted process declared
    -- with set_config('dashin.actor_id', ...).
    actor_id uuid,
    actor_role text not null,
    agency_id uuid,
    -- {column: {"old": ..., "new": ...}} for every column that changed; an
    -- insert records {} (see private.audit_changes), a delete the whole row.
    changes jsonb not null,
    created_at timestamptz not null default now()
);

create index audit_log_agency_created_at_idx on public.audit_log (agency_id, created_at desc);
create index audit_log_row_idx on public.audit_log (table_name, row_id);
create index audit_log_actor_id_idx on public.audit_log (actor_id);

-- Columns left out of diffs: derived counters, and a running job's telemetry
-- that would drown the log (lease renewals, progress). Credentials are shown as changed, never
-- with their (encrypted) value.
create function private.audit_diff(old_row jsonb, new_row jsonb) returns jsonb
language sql immutable parallel safe
set search_path = ''
as $$
    select coalesce(
        jsonb_object_agg(
            d.col,
            case
                when d.col = 'credentials'
                    then jsonb_build_object('old', '"[redacted]"'::jsonb, 'new', '"[redacted]"'::jsonb)
                else jsonb_build_object('old', d.old_value, 'new', d.new_value)
            end
        ),
        '{}'::jsonb
    )
    from (
        select
            k.col,
            coalesce(old_row -> k.col, 'null'::jsonb) as old_value,
            coalesce(new_row -> k.col, 'null'::jsonb) as new_value
        from jsonb_object_keys(coalesce(new_row, old_row)) as k (col)
    ) as d
    where d.old_value is distinct from d.new_value
        and d.col not in (
            'updated_at', 'search_text', 'has_credentials',
            -- counters derived from other (audited) rows
            'leads_count', 'qualified_leads_count', 'contacted_count', 'responded_count',
            'total_jobs', 'successful_jobs', 'failed_jobs', 'total_records_scraped',
            -- a running job's telemetry (its log has the lifecycle)
            'heartbeat_at', 'lease_expires_at', 'progress', 'checkpoint',
            'records_processed', 'records_qualified', 'records_rejected'
        )
$$;

-- Statement-level, reading the transition tables: one INSERT into audit_log
-- per statement, whatever the number of rows (bulk upserts stay fast).
--
-- An insert statement is recorded once per agency, listing the new rows' ids
-- (row_ids; row_id too when it made a single row), without a payload
-- (changes = {}): the rows hold the inserted values and every later update
-- records the old value of each column it changes (a delete records the
-- whole row), so any past state can be reconstructed. Serialising every
-- inserted row would double the cost of a bulk import for no information.
--
-- Trigger arguments: the columns holding the row id and the agency id, and
-- the comma-separated key columns that pair old and new rows of an update.
create function private.audit_changes() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
    row_id_column constant text := tg_argv[0];
    agency_column constant text := tg_argv[1];
    key_match constant text := (
        select string_agg(format('o.%1$I = n.%1$I', btrim(k.col)), ' and ')
        from unnest(string_to_array(tg_argv[2], ',')) as k (col)
    );
    actor uuid := coalesce(
        (select auth.uid()), nullif(current_setting('dashin.actor_id', true), '')::uuid
    );
    actor_role text := coalesce(nullif((select auth.role()), ''), session_user::text);
begin
    if tg_op = 'INSERT' then
        execute format(
            'insert into public.audit_log '
            '(table_name, row_id, row_ids, action, actor_id, actor_role, agency_id, changes) '
            'select $1, case when count(*) = 1 then min(r.%1$I::text)::uuid end, '
            'array_agg(r.%1$I), ''insert'', $2, $3, r.%2$I, ''{}''::jsonb '
            'from new_rows as r group by r.%2$I',
            row_id_column, agency_column
        ) using tg_table_name, actor, actor_role;
    elsif tg_op = 'DELETE' then
        execute format(
            'insert into public.audit_log '
            '(table_name, row_id, action, actor_id, actor_role, agency_id, changes) '
            'select $1, r.%I, ''delete'', $2, $3, r.%I, private.audit_diff(to_jsonb(r), null) '
            'from old_rows as r',
            row_id_column, agency_column
        ) using tg_table_name, actor, actor_role;
    else
        execute format(
            'insert into public.audit_log '
            '(table_name, row_id, action, actor_id, actor_role, agency_id, changes) '
            'select $1, n.%I, ''update'', $2, $3, n.%I, d.changes '
            'from new_rows as n join old_rows as o on %s '
            'cross join lateral (select private.audit_diff(to_jsonb(o), to_jsonb(n)) as changes) as d '
            'where d.changes <> ''{}''::jsonb',
            row_id_column, agency_column, key_match
        ) using tg_table_name, actor, actor_role;
    end if;
    return null;
end
$$;

-- Attaches the three statement-level audit triggers to a table (transition
-- tables allow one event per trigger).
create function private.attach_audit_triggers(
    target regclass,
    row_id_column text default 'id',
    agency_column text default 'agency_id',
    key_columns text default 'id'
) returns void
language plpgsql
set search_path = ''
as $$
declare
    args constant text := format(
        '%L, %L, %L', row_id_column, agency_column, key_columns
    );
begin
    execute format(
        'create trigger audit_insert after insert on %s referencing new table as new_rows '
        'for each statement execute function private.audit_changes(%s)', target, args
    );
    execute format(
        'create trigger audit_update after update on %s '
        'referencing old table as old_rows new table as new_rows '
        'for each statement execute function private.audit_changes(%s)', target, args
    );
    execute format(
        'create trigger audit_delete after delete on %s referencing old table as old_rows '
        'for each statement execute function private.audit_changes(%s)', target, args
    );
end
$$;
revoke all on function private.attach_audit_triggers(regclass, text, text, text) from public;

do $$
begin
    -- An agency is its own agency; a membership is keyed by campaign + user.
    perform private.attach_audit_triggers('public.agencies', 'id', 'id');
    perform private.attach_audit_triggers('public.user_profiles');
    perform private.attach_audit_triggers('public.campaigns');
    perform private.attach_audit_triggers(
        'public.campaign_members', 'campaign_id', 'agency_id', 'campaign_id, user_id'
    );
    perform private.attach_audit_triggers('public.leads');
end
$$;

-- Append-only, even for roles that bypass RLS.
create function private.reject_audit_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
    raise exception 'audit_log is append-only' using errcode = '42501';
end
$$;

create trigger audit_log_append_only before update or delete on public.audit_log
for each row execute function private.reject_audit_change();
create trigger audit_log_no_truncate before truncate on public.audit_log
for each statement execute function private.reject_audit_change();

alter table public.audit_log enable row level security;
create policy audit_log_select on public.audit_log for select to authenticated
using (
    (select private.is_super_admin())
    or agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);

-- Table privileges ---------------------------------------------------------------
-- Supabase's default privileges grant everything to anon and authenticated;
-- narrow them to what the policies above are meant to allow. anon gets nothing.
revoke all on public.agencies, public.user_profiles, public.campaigns,
public.campaign_members, public.leads, public.audit_log from anon, authenticated;

grant select, insert, delete on public.agencies to authenticated;
grant update (name, settings) on public.agencies to authenticated;

grant select, insert, delete on public.user_profiles to authenticated;
grant update (role, agency_id, settings) on public.user_profiles to authenticated;

-- Counters are maintained by triggers only.
grant select, delete on public.campaigns to authenticated;
grant insert (
    id, agency_id, name, description, status, start_date, end_date, target_audience, created_by
) on public.campaigns to authenticated;
grant update (
    name, description, status, start_date, end_date, target_audience
) on public.campaigns to authenticated;

grant select, insert, delete on public.campaign_members to authenticated;

grant select, insert, update, delete on public.leads to authenticated;

grant select on public.audit_log to authenticated;
revoke insert, update, delete, truncate on public.audit_log from service_role;
grant select on public.audit_log to service_role;
