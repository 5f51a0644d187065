-- 005 Real-time configuration: the supabase_realtime publication and the
-- pg_notify channels of the spec.
--
-- Realtime (postgres_changes) streams these tables to subscribers, checking
-- each subscriber's RLS and column privileges. Its filters (agency_id=eq.X)
-- need the filtered column in the old row image of UPDATEs and DELETEs:
-- REPLICA IDENTITY FULL, except data_sources, which publishes a column list
-- without the credentials ciphertext (generated columns such as has_credentials
-- cannot be listed either) and so identifies rows by (id, agency_id).

alter table public.scraping_jobs replica identity full;
alter table public.campaigns replica identity full;
alter table public.leads replica identity full;
alter table public.notifications replica identity full;
alter table public.scraping_job_logs replica identity full;
alter table public.data_sources replica identity using index data_sources_id_agency_key;

alter publication supabase_realtime add table
public.scraping_jobs,
public.campaigns,
public.leads,
public.notifications,
public.scraping_job_logs,
public.data_sources (
    id, agency_id, name, type, status, config, last_test_at,
    last_test_status, last_test_error, total_jobs, successful_jobs, failed_jobs,
    total_records_scraped, description, created_by, created_at, updated_at
);

-- pg_notify channels ---------------------------------------------------------------
-- Payloads are small JSON objects (NOTIFY caps them at 8000 bytes): ids, the
-- agency and the changed state, enough for a listener to act or re-read.

-- job_status_change: every status, schedule (start_job, retry), progress or
-- counter change of a job.
create function private.notify_job_status_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if tg_op = 'UPDATE'
        and new.status is not distinct from old.status
        and new.run_after is not distinct from old.run_after
        and new.progress is not distinct from old.progress
        and new.records_processed is not distinct from old.records_processed
        and new.error_count is not distinct from old.error_count then
        return null;
    end if;
    perform pg_notify('job_status_change', jsonb_build_object(
        'id', new.id,
        'agency_id', new.agency_id,
        'data_source_id', new.data_source_id,
        'campaign_id', new.campaign_id,
        'status', new.status,
        'previous_status', case when tg_op = 'UPDATE' then old.status end,
        'run_after', new.run_after,
        'progress', new.progress,
        'records_processed', new.records_processed,
        'records_qualified', new.records_qualified,
        'records_rejected', new.records_rejected,
        'error_count', new.error_count,
        'worker_id', new.worker_id,
        'updated_at', new.updated_at
    )::text);
    return null;
end
$$;

create trigger notify_job_status_change after insert or update on public.scraping_jobs
for each row execute function private.notify_job_status_change();

-- new_notification: every notification, addressed by user_id.
create function private.notify_new_notification() returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform pg_notify('new_notification', jsonb_build_object(
        'id', new.id,
        'user_id', new.user_id,
        'agency_id', new.agency_id,
        'type', new.type,
        'title', left(new.title, 500),
        'related_entity_type', new.related_entity_type,
        'related_entity_id', new.related_entity_id,
        'created_at', new.created_at
    )::text);
    return null;
end
$$;

create trigger notify_new_notification after insert on public.notifications
for each row execute function private.notify_new_notification();

-- campaign_metrics_update: whenever a campaign's counters move.
create function private.notify_campaign_metrics_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
    perform pg_notify('campaign_metrics_update', jsonb_build_object(
        'id', new.id,
        'agency_id', new.agency_id,
        'leads_count', new.leads_count,
        'qualified_leads_count', new.qualified_leads_count,
        'contacted_count', new.contacted_count,
        'responded_count', new.responded_count,
        'updated_at', new.updated_at
    )::text);
    return null;
end
$$;

create trigger notify_campaign_metrics_update after update on public.campaigns
for each row
when (
    old.leads_count is distinct from new.leads_count
    or old.qualified_leads_count is distinct from new.qualified_leads_count
    or old.contacted_count is distinct from new.contacted_count
    or old.responded_count is distinct from new.responded_count
)
execute function private.notify_campaign_metrics_update();
