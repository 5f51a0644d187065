-- 004 Notifications and the analytics cache.

create type public.notification_type as enum ('info', 'success', 'warning', 'error');

create table public.notifications (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references public.user_profiles (id) on delete cascade,
    agency_id uuid references public.agencies (id) on delete cascade,
    type public.notification_type not null default 'info',
    title text not null,
    message text,
    read boolean not null default false,
    related_entity_type text,
    related_entity_id uuid,
    action_url text,
    action_label text,
    created_at timestamptz not null default now(),
    constraint notifications_title_not_blank check (length(btrim(title)) > 0)
);

create index notifications_user_unread_idx on public.notifications (user_id, read, created_at desc);
create index notifications_agency_id_idx on public.notifications (agency_id);

alter table public.notifications enable row level security;

-- Each user reads, marks read and deletes only their own notifications.
create policy notifications_select on public.notifications for select to authenticated
using (user_id = (select auth.uid()));
create policy notifications_update on public.notifications for update to authenticated
using (user_id = (select auth.uid()))
with check (user_id = (select auth.uid()));
create policy notifications_delete on public.notifications for delete to authenticated
using (user_id = (select auth.uid()));

revoke all on public.notifications from anon, authenticated;
grant select, delete on public.notifications to authenticated;
grant update (read) on public.notifications to authenticated;

-- Analytics cache ------------------------------------------------------------------
-- Written and read only by the SECURITY DEFINER analytics functions; no API
-- role reads it directly (it would leak other agencies' figures).
create table public.analytics_cache (
    id uuid primary key default gen_random_uuid(),
    cache_key text not null,
    cache_value jsonb not null,
    -- The agency the entry describes (null: global). Invalidation is by agency.
    agency_id uuid references public.agencies (id) on delete cascade,
    expires_at timestamptz not null,
    created_at timestamptz not null default now(),
    constraint analytics_cache_cache_key_key unique (cache_key)
);

create index analytics_cache_agency_id_idx on public.analytics_cache (agency_id);
create index analytics_cache_expires_at_idx on public.analytics_cache (expires_at);

alter table public.analytics_cache enable row level security;
revoke all on public.analytics_cache from anon, authenticated;

-- Any change to an agency's campaigns, leads, data sources or jobs drops that
-- agency's cached analytics (and global entries). Statement-level over the
-- transition tables: one DELETE per statement, not per row. SKIP LOCKED: an
-- entry another transaction is already dropping (or refreshing) is left to
-- it, so concurrent writers of one agency never queue or deadlock on its
-- cache rows; the entries' short TTL bounds what that race can leave stale.
create function private.invalidate_analytics_cache() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
    if tg_op = 'DELETE' then
        delete from public.analytics_cache as c
        where c.id in (
            select x.id from public.analytics_cache as x
            where x.agency_id is null or x.agency_id in (select o.agency_id from old_rows as o)
            for update skip locked
        );
    else
        delete from public.analytics_cache as c
        where c.id in (
            select x.id from public.analytics_cache as x
            where x.agency_id is null or x.agency_id in (select n.agency_id from new_rows as n)
            for update skip locked
        );
    end if;
    return null;
end
$$;

create function private.attach_cache_invalidation(target regclass) returns void
language plpgsql
set search_path = ''
as $$
begin
    execute format(
        'create trigger invalidate_analytics_cache_insert after insert on %s '
        'referencing new table as new_rows '
        'for each statement execute function private.invalidate_analytics_cache()', target
    );
    execute format(
        'create trigger invalidate_analytics_cache_update after update on %s '
        'referencing new table as new_rows '
        'for each statement execute function private.invalidate_analytics_cache()', target
    );
    execute format(
        'create trigger invalidate_analytics_cache_delete after delete on %s '
        'referencing old table as old_rows '
        'for each statement execute function private.invalidate_analytics_cache()', target
    );
end
$$;
revoke all on function private.attach_cache_invalidation(regclass) from public;

do $$
begin
    perform private.attach_cache_invalidation('public.campaigns');
    perform private.attach_cache_invalidation('public.leads');
    perform private.attach_cache_invalidation('public.data_sources');
    perform private.attach_cache_invalidation('public.scraping_jobs');
end
$$;

-- The job's creator hears when it completes or fails.
create function private.notify_job_creator() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
    insert into public.notifications (
        user_id, agency_id, type, title, message,
        related_entity_type, related_entity_id, action_url, action_label
    )
    values (
        new.created_by,
        new.agency_id,
        case when new.status = 'completed' then 'success' else 'error' end::public.notification_type,
        case when new.status = 'completed' then 'Scraping job completed' else 'Scraping job failed' end,
        format(
            '%s records processed, %s qualified, %s rejected%s',
            new.records_processed, new.records_qualified, new.records_rejected,
            case
                when new.status = 'failed'
                    then ': ' || coalesce(new.errors -> -1 ->> 'message', 'unknown error')
                else ''
            end
        ),
        'scraping_job',
        new.id,
        '/jobs/' || new.id::text,
        'View job'
    );
    return null;
end
$$;

create trigger notify_job_creator after update of status on public.scraping_jobs
for each row
when (
    new.status in ('completed', 'failed')
    and old.status is distinct from new.status
    and new.created_by is not null
)
execute function private.notify_job_creator();
