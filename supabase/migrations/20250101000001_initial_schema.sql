-- 001 Initial schema: agencies, user profiles, campaigns, campaign members, leads.
--
-- Conventions used in every migration:
--   * timestamps are timestamptz; updated_at is kept by private.set_updated_at();
--   * agency-scoped children reference their parent with (id, agency_id) so a
--     row can never point at another agency's data;
--   * helper functions that are not part of the API live in the `private`
--     schema, which PostgREST does not expose.

create extension if not exists pg_trgm with schema extensions;

create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;

-- Enums ----------------------------------------------------------------------
create type public.user_role as enum ('super_admin', 'agency_admin', 'researcher', 'client');
create type public.campaign_status as enum ('draft', 'active', 'paused', 'completed', 'archived');
create type public.lead_status as enum (
    'new', 'contacted', 'responded', 'qualified', 'nurturing', 'converted', 'disqualified'
);
create type public.qualification_status as enum ('pending', 'qualified', 'disqualified');
create type public.lead_priority as enum ('low', 'medium', 'high', 'urgent');

-- Normalisation helpers (immutable, so they can back CHECKs and indexes) -----
-- The SQL one-liners here have no `set search_path` clause on purpose: a SET
-- clause stops Postgres from inlining a SQL function, and they run for every
-- row of every bulk upsert. Their functions are schema-qualified instead, and
-- their operators are pg_catalog's (searched first unless a search_path names
-- it later).
create function private.clean_text(raw text) returns text
language sql immutable parallel safe
as $$
    -- Trims the whitespace scraped and pasted data carries (space, tab, CR,
    -- LF, no-break space); blank becomes null.
    select nullif(
        pg_catalog.btrim(
            raw,
            pg_catalog.chr(32) || pg_catalog.chr(9) || pg_catalog.chr(10)
            || pg_catalog.chr(13) || pg_catalog.chr(160)
        ),
        ''
    )
$$;

create function private.normalize_email(raw text) returns text
language sql immutable parallel safe
as $$
    select pg_catalog.lower(private.clean_text(raw))
$$;

create function private.is_valid_email(email text) returns boolean
language sql immutable parallel safe
as $$
    -- Deliberately pragmatic (what HubSpot-style tools accept): one @, a local
    -- part without spaces, a dotted domain of letters, digits and hyphens.
    select email operator(pg_catalog.~) '^[a-z0-9.!#$%&''*+/=?^_`{|}~-]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'
        and pg_catalog.length(email) <= 254
$$;

-- The <kind>/<slug> of a lower-cased LinkedIn profile or company URL, or null
-- when the URL is something else. Plain string functions in PL/pgSQL: this
-- runs twice for every imported lead (upsert_leads, then the insert
-- trigger's guard), and regular expressions cost several times as much.
create function private.linkedin_path(url text) returns text
language plpgsql immutable parallel safe
set search_path = ''
as $$
declare
    host_at constant integer := strpos(url, 'linkedin.com/');
    prefix text;
    path text;
    kind text;
    slug text;
begin
    if url is null or host_at = 0 then
        return null;
    end if;
    -- Before the host: an optional scheme, then nothing, www. or a country
    -- subdomain (uk., de., ...).
    prefix := left(url, host_at - 1);
    if starts_with(prefix, 'https://') then
        prefix := substr(prefix, 9);
    elsif starts_with(prefix, 'http://') then
        prefix := substr(prefix, 8);
    end if;
    if not (
        prefix in ('', 'www.')
        or (
            length(prefix) in (3, 4) and right(prefix, 1) = '.'
            and translate(left(prefix, -1), 'abcdefghijklmnopqrstuvwxyz', '') = ''
        )
    ) then
        return null;
    end if;
    path := split_part(split_part(substr(url, host_at + 13), '?', 1), '#', 1);
    kind := split_part(path, '/', 1);
    slug := split_part(path, '/', 2);
    if kind not in ('in', 'company') or slug = '' then
        return null;
    end if;
    return kind || '/' || slug;
end
$$;

-- The canonical profile URL itself (https://www.linkedin.com/in/<slug>):
-- recognised with a few string tests so that the common case, data that is
-- already clean, skips the full normalisation.
create function private.is_canonical_profile_url(url text) returns boolean
language sql immutable parallel safe
as $$
    select pg_catalog.starts_with(url, 'https://www.linkedin.com/in/')
        and pg_catalog.length(url) > 28
        and pg_catalog.strpos(pg_catalog.substr(url, 29), '/') = 0
        and pg_catalog.strpos(url, '?') = 0
        and pg_catalog.strpos(url, '#') = 0
        and url = pg_catalog.lower(url)
        and url = private.clean_text(url)
$$;

create function private.normalize_linkedin_url(raw text) returns text
language sql immutable parallel safe
as $$
    -- Canonical form https://www.linkedin.com/in/<slug> (or /company/<slug>):
    -- scheme, country subdomains, case, query strings, fragments, trailing
    -- slashes and sub-pages all vary in scraped data but name the same
    -- profile. Anything else is kept as given (trimmed).
    select case
        when private.is_canonical_profile_url(raw) then raw
        else coalesce(
            'https://www.linkedin.com/'
            || private.linkedin_path(pg_catalog.lower(private.clean_text(raw))),
            private.clean_text(raw)
        )
    end
$$;

-- True when url is already what normalize_linkedin_url() would make of it
-- (the insert trigger's guard).
create function private.is_canonical_linkedin_url(url text) returns boolean
language sql immutable parallel safe
as $$
    select url is null
        or private.is_canonical_profile_url(url)
        or url is not distinct from private.normalize_linkedin_url(url)
$$;
create function private.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
    new.updated_at := now();
    return new;
end
$$;

-- Agencies -------------------------------------------------------------------
create table public.agencies (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    settings jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint agencies_name_not_blank check (length(btrim(name)) between 1 and 200),
    constraint agencies_settings_is_object check (jsonb_typeof(settings) = 'object')
);

create trigger set_updated_at before update on public.agencies
for each row execute function private.set_updated_at();

-- User profiles --------------------------------------------------------------
create table public.user_profiles (
    id uuid primary key references auth.users (id) on delete cascade,
    email text,
    agency_id uuid references public.agencies (id) on delete restrict,
    role public.user_role not null default 'client',
    settings jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- Only a super admin works across agencies; everyone else belongs to one.
    constraint user_profiles_agency_required check (role = 'super_admin' or agency_id is not null),
    constraint user_profiles_settings_is_object check (jsonb_typeof(settings) = 'object'),
    constraint user_profiles_id_agency_key unique (id, agency_id)
);

create index user_profiles_agency_id_idx on public.user_profiles (agency_id);

create trigger set_updated_at before update on public.user_profiles
for each row execute function private.set_updated_at();

-- Campaigns ------------------------------------------------------------------
create table public.campaigns (
    id uuid primary key default gen_random_uuid(),
    agency_id uuid not null references public.agencies (id) on delete cascade,
    name text not null,
    description text,
    status public.campaign_status not null default 'draft',
    start_date date,
    end_date date,
    target_audience jsonb not null default '{}'::jsonb,
    leads_count integer not null default 0,
    qualified_leads_count integer not null default 0,
    contacted_count integer not null default 0,
    responded_count integer not null default 0,
    created_by uuid references public.user_profiles (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint campaigns_name_not_blank check (length(btrim(name)) between 1 and 200),
    constraint campaigns_dates_ordered check (end_date >= start_date),
    constraint campaigns_target_audience_is_object check (jsonb_typeof(target_audience) = 'object'),
    constraint campaigns_counters_non_negative check (
        leads_count >= 0 and qualified_leads_count >= 0
        and contacted_count >= 0 and responded_count >= 0
    ),
    constraint campaigns_counters_within_total check (
        qualified_leads_count <= leads_count
        and contacted_count <= leads_count
        and responded_count <= leads_count
    ),
    constraint campaigns_id_agency_key unique (id, agency_id)
);

-- List filters lead with the agency and end with the default sort (newest
-- first), so a filtered page is read in order straight from the index.
create index campaigns_agency_status_idx on public.campaigns (agency_id, status, created_at desc);
create index campaigns_agency_created_at_idx on public.campaigns (agency_id, created_at desc);
create index campaigns_created_by_idx on public.campaigns (created_by);
create index campaigns_name_trgm_idx on public.campaigns
using gin (name extensions.gin_trgm_ops);

create trigger set_updated_at before update on public.campaigns
for each row execute function private.set_updated_at();

-- Campaign members: which users (in practice: clients) may see a campaign ----
create table public.campaign_members (
    campaign_id uuid not null,
    user_id uuid not null,
    agency_id uuid not null,
    created_at timestamptz not null default now(),
    primary key (campaign_id, user_id),
    constraint campaign_members_campaign_fkey foreign key (campaign_id, agency_id)
    references public.campaigns (id, agency_id) on delete cascade,
    constraint campaign_members_user_fkey foreign key (user_id, agency_id)
    references public.user_profiles (id, agency_id) on delete cascade
);

create index campaign_members_user_id_idx on public.campaign_members (user_id);
create index campaign_members_agency_id_idx on public.campaign_members (agency_id);

-- Leads ----------------------------------------------------------------------
create table public.leads (
    id uuid primary key default gen_random_uuid(),
    agency_id uuid not null references public.agencies (id) on delete cascade,
    campaign_id uuid,
    email text,
    first_name text,
    last_name text,
    company text,
    title text,
    linkedin_url text,
    phone text,
    source text,
    status public.lead_status not null default 'new',
    qualification_status public.qualification_status not null default 'pending',
    qualification_reason text,
    priority public.lead_priority not null default 'medium',
    last_contacted_at timestamptz,
    last_responded_at timestamptz,
    qualified_at timestamptz,
    metadata jsonb not null default '{}'::jsonb,
    -- Source attribution (data source and job); foreign keys in migration 003.
    data_source_id uuid,
    scraping_job_id uuid,
    created_by uuid references public.user_profiles (id) on delete set null,
    assigned_to uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- One lower-cased haystack behind a single trigram index serves the
    -- "search" filter over name, email and company.
    search_text text generated always as (
        lower(
            coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' '
            || coalesce(email, '') || ' ' || coalesce(company, '')
        )
    ) stored,
    constraint leads_campaign_fkey foreign key (campaign_id, agency_id)
    references public.campaigns (id, agency_id) on delete set null (campaign_id),
    constraint leads_assigned_to_fkey foreign key (assigned_to, agency_id)
    references public.user_profiles (id, agency_id) on delete set null (assigned_to),
    -- The dedupe rule: one lead per agency per normalised email (a constraint
    -- rather than a bare index so upserts can name it in ON CONFLICT).
    constraint leads_agency_email_key unique (agency_id, email),
    constraint leads_email_normalized check (email = private.normalize_email(email)),
    constraint leads_email_valid check (private.is_valid_email(email)),
    constraint leads_has_identity check (
        email is not null or linkedin_url is not null
        or first_name is not null or last_name is not null
    ),
    constraint leads_metadata_is_object check (jsonb_typeof(metadata) = 'object')
);

create index leads_agency_linkedin_idx on public.leads (agency_id, linkedin_url)
where linkedin_url is not null;
-- The upsert's "a new email may complete a lead known only by its LinkedIn
-- URL" probe; partial, so it stays tiny where leads have emails.
create index leads_agency_linkedin_without_email_idx on public.leads (agency_id, linkedin_url)
where linkedin_url is not null and email is null;
-- Dedupe of leads known only by name + company (no email, no LinkedIn URL);
-- partial, so leads with an email cost nothing here.
create index leads_agency_name_company_idx on public.leads (
    agency_id,
    coalesce(lower(last_name), ''),
    coalesce(lower(first_name), ''),
    coalesce(lower(company), '')
) where email is null and linkedin_url is null;
create index leads_agency_created_at_idx on public.leads (agency_id, created_at desc);
create index leads_agency_status_idx on public.leads (agency_id, status, created_at desc);
create index leads_agency_qualification_idx
on public.leads (agency_id, qualification_status, created_at desc);
create index leads_agency_priority_idx on public.leads (agency_id, priority, created_at desc);
create index leads_campaign_id_idx on public.leads (campaign_id, created_at desc);
create index leads_assigned_to_idx on public.leads (assigned_to, created_at desc);
create index leads_created_by_idx on public.leads (created_by);
create index leads_data_source_id_idx on public.leads (data_source_id);
create index leads_scraping_job_id_idx on public.leads (scraping_job_id);
create index leads_search_text_trgm_idx on public.leads
using gin (search_text extensions.gin_trgm_ops);

-- Keep stored values canonical whatever the client sent, and stamp the
-- lifecycle timestamps the campaign counters are derived from.
create function private.normalize_lead() returns trigger
language plpgsql
set search_path = ''
as $$
begin
    new.email := private.normalize_email(new.email);
    new.linkedin_url := private.normalize_linkedin_url(new.linkedin_url);
    new.first_name := private.clean_text(new.first_name);
    new.last_name := private.clean_text(new.last_name);
    new.company := private.clean_text(new.company);
    new.title := private.clean_text(new.title);
    new.phone := private.clean_text(new.phone);
    if new.status in ('contacted', 'responded', 'qualified', 'nurturing', 'converted')
        and new.last_contacted_at is null then
        new.last_contacted_at := now();
    end if;
    if new.status in ('responded', 'converted') and new.last_responded_at is null then
        new.last_responded_at := now();
    end if;
    if new.last_responded_at is not null and new.last_contacted_at is null then
        new.last_contacted_at := new.last_responded_at;
    end if;
    if new.status = 'qualified' and new.qualification_status = 'pending' then
        new.qualification_status := 'qualified';
    elsif new.status = 'disqualified' and new.qualification_status = 'pending' then
        new.qualification_status := 'disqualified';
    end if;
    if new.qualification_status = 'qualified' then
        new.qualified_at := coalesce(new.qualified_at, now());
    else
        new.qualified_at := null;
    end if;
    -- Folded in here rather than a second trigger: one trigger call per row
    -- matters on bulk upserts.
    if tg_op = 'UPDATE' then
        new.updated_at := now();
    end if;
    return new;
end
$$;

-- On insert the trigger only runs for rows that need it: upsert_leads hands
-- over canonical rows of new, pending leads, and skipping a PL/pgSQL call per
-- row is a fifth of a bulk import's cost.
create trigger normalize_lead_insert before insert on public.leads
for each row
when (
    new.status <> 'new'
    or new.qualification_status <> 'pending'
    or new.last_contacted_at is not null
    or new.last_responded_at is not null
    or new.qualified_at is not null
    or new.email is distinct from private.normalize_email(new.email)
    or not private.is_canonical_linkedin_url(new.linkedin_url)
    or new.first_name is distinct from private.clean_text(new.first_name)
    or new.last_name is distinct from private.clean_text(new.last_name)
    or new.company is distinct from private.clean_text(new.company)
    or new.title is distinct from private.clean_text(new.title)
    or new.phone is distinct from private.clean_text(new.phone)
)
execute function private.normalize_lead();

create trigger normalize_lead_update before update on public.leads
for each row execute function private.normalize_lead();

-- Campaign counters ------------------------------------------------------------
-- What each counter counts (recompute_campaign_metrics() in 006 uses the same
-- predicates):
--   leads_count            every lead of the campaign
--   qualified_leads_count  qualification_status = 'qualified'
--   contacted_count        last_contacted_at is not null
--   responded_count        last_responded_at is not null
--
-- Two steps, so counters stay exact and never deadlock:
--   1. statement-level triggers on leads (over the transition tables) queue one
--      delta row per touched campaign in private.campaign_metric_deltas: a
--      batch of N leads costs one small insert, not N campaign updates;
--   2. a deferred constraint trigger applies the transaction's deltas at
--      commit, in one round, locking the campaigns in id order. Campaign row
--      locks are therefore taken once, late and in a global order: two
--      imports touching the same campaigns in opposite orders cannot
--      deadlock, and relative increments under the lock cannot lose updates.
-- Inside a transaction the counters show its own changes from commit on (or
-- after SET CONSTRAINTS ALL IMMEDIATE).
-- UNLOGGED: a row lives only inside the transaction that queued it (consumed
-- before its commit), so it needs no WAL; a crash can only lose rows of
-- transactions that never committed.
create unlogged table private.campaign_metric_deltas (
    id bigint generated always as identity primary key,
    campaign_id uuid not null,
    leads integer not null,
    qualified integer not null,
    contacted integer not null,
    responded integer not null
);

create function private.update_campaign_metrics() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
    if tg_op = 'INSERT' then
        insert into private.campaign_metric_deltas (campaign_id, leads, qualified, contacted, responded)
        select
            n.campaign_id,
            count(*),
            count(*) filter (where n.qualification_status = 'qualified'),
            count(*) filter (where n.last_contacted_at is not null),
            count(*) filter (where n.last_responded_at is not null)
        from new_rows as n
        where n.campaign_id is not null
        group by n.campaign_id;
    elsif tg_op = 'DELETE' then
        insert into private.campaign_metric_deltas (campaign_id, leads, qualified, contacted, responded)
        select
            o.campaign_id,
            -count(*),
            -count(*) filter (where o.qualification_status = 'qualified'),
            -count(*) filter (where o.last_contacted_at is not null),
            -count(*) filter (where o.last_responded_at is not null)
        from old_rows as o
        where o.campaign_id is not null
        group by o.campaign_id;
    else
        insert into private.campaign_metric_deltas (campaign_id, leads, qualified, contacted, responded)
        select
            d.campaign_id, sum(d.leads), sum(d.qualified), sum(d.contacted), sum(d.responded)
        from (
            select
                n.campaign_id,
                1 as leads,
                (n.qualification_status = 'qualified')::integer as qualified,
                (n.last_contacted_at is not null)::integer as contacted,
                (n.last_responded_at is not null)::integer as responded
            from new_rows as n
            union all
            select
                o.campaign_id,
                -1,
                -(o.qualification_status = 'qualified')::integer,
                -(o.last_contacted_at is not null)::integer,
                -(o.last_responded_at is not null)::integer
            from old_rows as o
        ) as d
        where d.campaign_id is not null
        group by d.campaign_id
        having sum(d.leads) <> 0 or sum(d.qualified) <> 0
            or sum(d.contacted) <> 0 or sum(d.responded) <> 0;
    end if;
    return null;
end
$$;

create type private.campaign_metric_delta as (
    campaign_id uuid,
    leads integer,
    qualified integer,
    contacted integer,
    responded integer
);

-- Runs at commit, once per queued row; the first run takes every delta the
-- transaction can see (its own: other transactions' rows are uncommitted, or
-- already consumed by their own commit) and the later runs find none.
create function private.apply_campaign_metric_deltas() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
    totals private.campaign_metric_delta[];
begin
    with taken as (
        delete from private.campaign_metric_deltas as d
        returning d.campaign_id, d.leads, d.qualified, d.contacted, d.responded
    )
    select array_agg(
        row(t.campaign_id, t.leads, t.qualified, t.contacted, t.responded)
        ::private.campaign_metric_delta
        order by t.campaign_id
    )
    into totals
    from (
        select
            x.campaign_id,
            sum(x.leads)::integer as leads,
            sum(x.qualified)::integer as qualified,
            sum(x.contacted)::integer as contacted,
            sum(x.responded)::integer as responded
        from taken as x
        group by x.campaign_id
        having sum(x.leads) <> 0 or sum(x.qualified) <> 0
            or sum(x.contacted) <> 0 or sum(x.responded) <> 0
    ) as t;
    if totals is null then
        return null;
    end if;
    perform 1 from public.campaigns as c
    where c.id in (select t.campaign_id from unnest(totals) as t)
    order by c.id
    for no key update;
    update public.campaigns as c
    set leads_count = c.leads_count + t.leads,
        qualified_leads_count = c.qualified_leads_count + t.qualified,
        contacted_count = c.contacted_count + t.contacted,
        responded_count = c.responded_count + t.responded
    from unnest(totals) as t
    where c.id = t.campaign_id;
    return null;
end
$$;

create constraint trigger apply_campaign_metric_deltas
after insert on private.campaign_metric_deltas
deferrable initially deferred
for each row execute function private.apply_campaign_metric_deltas();

create trigger update_campaign_metrics_insert after insert on public.leads
referencing new table as new_rows
for each statement execute function private.update_campaign_metrics();

create trigger update_campaign_metrics_update after update on public.leads
referencing old table as old_rows new table as new_rows
for each statement execute function private.update_campaign_metrics();

create trigger update_campaign_metrics_delete after delete on public.leads
referencing old table as old_rows
for each statement execute function private.update_campaign_metrics();
