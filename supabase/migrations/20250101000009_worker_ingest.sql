-- 009 Worker ingest: one batch of a job's leads and the job's checkpoint in one
-- transaction.
--
-- A worker's batch is: upsert the leads, then record the connector cursor
-- *after* the batch with absolute counters. Both commit together or neither
-- does, so a crash before the commit replays the batch from the previous
-- checkpoint (upsert_leads is idempotent: a replayed lead is "unchanged"), and
-- a crash after it resumes past the batch. Counters are absolute, never
-- increments, so a replay cannot double count.

-- Returns {status, inserted, updated, unchanged, rejected, rejections,
-- records_processed, records_qualified, records_rejected}:
--   * status is the job's status (anything but 'running' means: stop);
--   * records_* are the counters as stored. The caller passes the counters it
--     knows (client-side rejections included); records the database rejects
--     on top move from processed-and-accepted to rejected here (and out of
--     qualified when the caller had qualified them), and the caller continues
--     from the stored values.
create function public.ingest_job_batch(
    job_id uuid,
    worker_id text,
    records jsonb,
    checkpoint jsonb,
    progress integer,
    records_processed integer,
    records_qualified integer,
    records_rejected integer,
    lease_seconds integer default 60
) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    job public.scraping_jobs;
    source_type text;
    upserted public.lead_upsert_result;
    rejected_qualified integer := 0;
    stored public.scraping_jobs;
begin
    perform private.check_lease_seconds(lease_seconds);
    -- Locks the job row first: a worker that lost its lease fails here and
    -- writes no lead.
    job := private.lock_owned_job(job_id, worker_id);
    if job.status not in ('running', 'paused') then
        raise exception 'job % is %: it takes no more batches', job.id, job.status
            using errcode = 'PT409', hint = 'release the job';
    end if;
    select d.type::text into source_type
    from public.data_sources as d where d.id = job.data_source_id;

    upserted := public.upsert_leads(
        coalesce(records, '[]'::jsonb),
        job.campaign_id,
        source_type,
        job.data_source_id,
        job.id,
        job.agency_id
    );
    if upserted.rejected > 0 then
        select count(*)::integer into rejected_qualified
        from jsonb_array_elements(upserted.rejections) as r (value)
        where records -> ((r.value ->> 'index')::integer) ->> 'qualification_status' = 'qualified';
    end if;

    perform public.checkpoint_job(
        job.id,
        worker_id,
        checkpoint,
        progress,
        records_processed,
        greatest(records_qualified - rejected_qualified, 0),
        records_rejected + upserted.rejected,
        lease_seconds
    );
    select j.* into stored from public.scraping_jobs as j where j.id = job.id;
    return jsonb_build_object(
        'status', stored.status,
        'inserted', upserted.inserted,
        'updated', upserted.updated,
        'unchanged', upserted.unchanged,
        'rejected', upserted.rejected,
        'rejections', coalesce(upserted.rejections, '[]'::jsonb),
        'records_processed', stored.records_processed,
        'records_qualified', stored.records_qualified,
        'records_rejected', stored.records_rejected
    );
end
$$;

revoke all on function public.ingest_job_batch(
    uuid, text, jsonb, jsonb, integer, integer, integer, integer, integer
) from public, anon, authenticated;
grant execute on function public.ingest_job_batch(
    uuid, text, jsonb, jsonb, integer, integer, integer, integer, integer
) to service_role;
