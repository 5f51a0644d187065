-- 003 Data sources and scraping jobs: the tables, the job lifecycle, the job
-- queue (claim / lease / heartbeat / checkpoint) and data source metrics.

create type public.data_source_type as enum (
    'linkedin', 'apollo', 'zoominfo', 'custom', 'csv', 'api'
);
create type public.data_source_status as enum ('active', 'inactive', 'error', 'testing');
create type public.job_status as enum (
    'pending', 'running', 'paused', 'completed', 'failed', 'cancelled'
);
create type public.log_level as enum ('debug', 'info', 'warning', 'error');

-- Credentials are encrypted by the client (AES-256-GCM, key outside the
-- database); the column only ever holds this envelope:
--   {"v": 1, "alg": "AES-256-GCM", "kid": "<key id>", "nonce": "<b64>", "ciphertext": "<b64>"}
create function private.is_credential_envelope(envelope jsonb) returns boolean
language sql immutable parallel safe
set search_path = ''
as $$
    select envelope is null or (
        jsonb_typeof(envelope) = 'object'
        and envelope ?& array['v', 'kid', 'nonce', 'ciphertext']
        and jsonb_typeof(envelope -> 'ciphertext') = 'string'
        and jsonb_typeof(envelope -> 'nonce') = 'string'
        and not exists (
            select 1 from jsonb_object_keys(envelope) as k (key)
            where k.key not in ('v', 'alg', 'kid', 'nonce', 'ciphertext')
        )
    )
$$;

-- Data sources -------------------------------------------------------------------
create table public.data_sources (
    id uuid primary key default gen_random_uuid(),
    agency_id uuid not null default private.current_agency_id()
    references public.agencies (id) on delete cascade,
    name text not null,
    type public.data_source_type not null,
    status public.data_source_status not null default 'active',
    config jsonb not null default '{}'::jsonb,
    credentials jsonb,
    has_credentials boolean generated always as (credentials is not null) stored,
    last_test_at timestamptz,
    last_test_status text,
    last_test_error text,
    total_jobs integer not null default 0,
    successful_jobs integer not null default 0,
    failed_jobs integer not null default 0,
    total_records_scraped integer not null default 0,
    description text,
    created_by uuid default auth.uid() references public.user_profiles (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint data_sources_name_not_blank check (length(btrim(name)) between 1 and 200),
    constraint data_sources_name_per_agency_key unique (agency_id, name),
    constraint data_sources_config_is_object check (jsonb_typeof(config) = 'object'),
    constraint data_sources_credentials_encrypted check (
        private.is_credential_envelope(credentials)
    ),
    constraint data_sources_counters_non_negative check (
        total_jobs >= 0 and successful_jobs >= 0 and failed_jobs >= 0
        and total_records_scraped >= 0
    ),
    constraint data_sources_counters_within_total check (
        successful_jobs + failed_jobs <= total_jobs
    ),
    constraint data_sources_id_agency_key unique (id, agency_id)
);

create index data_sources_created_by_idx on public.data_sources (created_by);
create index data_sources_agency_status_idx on public.data_sources (agency_id, status);

create trigger set_updated_at before update on public.data_sources
for each row execute function private.set_updated_at();

-- Scraping jobs ------------------------------------------------------------------
create table public.scraping_jobs (
    id uuid primary key default gen_random_uuid(),
    agency_id uuid not null default private.current_agency_id()
    references public.agencies (id) on delete cascade,
    data_source_id uuid not null,
    campaign_id uuid,
    status public.job_status not null default 'pending',
    progress integer not null default 0,
    records_processed integer not null default 0,
    records_qualified integer not null default 0,
    records_rejected integer not null default 0,
    config jsonb not null default '{}'::jsonb,
    search_criteria jsonb not null default '{}'::jsonb,
    result_file_url text,
    raw_data_url text,
    errors jsonb not null default '[]'::jsonb,
    error_count integer not null default 0,
    started_at timestamptz,
    completed_at timestamptz,
    duration_seconds integer,
    created_by uuid default auth.uid() references public.user_profiles (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- The queue. A pending job is runnable once run_after is set and past
    -- (start_job sets it; retries push it into the future). A running job is
    -- owned by worker_id until lease_expires_at; heartbeats extend the lease.
    run_after timestamptz,
    worker_id text,
    lease_expires_at timestamptz,
    heartbeat_at timestamptz,
    attempts integer not null default 0,
    max_attempts integer not null default 3,
    -- The connector's cursor after the last committed batch: a reclaimed or
    -- resumed job continues from here.
    checkpoint jsonb,
    constraint scraping_jobs_data_source_fkey foreign key (data_source_id, agency_id)
    references public.data_sources (id, agency_id) on delete cascade,
    constraint scraping_jobs_campaign_fkey foreign key (campaign_id, agency_id)
    references public.campaigns (id, agency_id) on delete set null (campaign_id),
    constraint scraping_jobs_progress_range check (progress between 0 and 100),
    constraint scraping_jobs_counters_non_negative check (
        records_processed >= 0 and records_qualified >= 0 and records_rejected >= 0
        and error_count >= 0 and attempts >= 0
    ),
    constraint scraping_jobs_counters_within_processed check (
        records_qualified + records_rejected <= records_processed
    ),
    constraint scraping_jobs_max_attempts_range check (max_attempts between 1 and 100),
    constraint scraping_jobs_duration_non_negative check (duration_seconds >= 0),
    constraint scraping_jobs_config_is_object check (jsonb_typeof(config) = 'object'),
    constraint scraping_jobs_search_criteria_is_object check (
        jsonb_typeof(search_criteria) = 'object'
    ),
    constraint scraping_jobs_errors_is_array check (jsonb_typeof(errors) = 'array'),
    constraint scraping_jobs_running_has_lease check (
        status <> 'running' or (worker_id is not null and lease_expires_at is not null)
    ),
    constraint scraping_jobs_id_agency_key unique (id, agency_id)
);

create index scraping_jobs_agency_status_idx
on public.scraping_jobs (agency_id, status, created_at desc);
create index scraping_jobs_agency_created_at_idx
on public.scraping_jobs (agency_id, created_at desc);
create index scraping_jobs_data_source_id_idx
on public.scraping_jobs (data_source_id, created_at desc);
create index scraping_jobs_campaign_id_idx on public.scraping_jobs (campaign_id);
create index scraping_jobs_created_by_idx on public.scraping_jobs (created_by);
-- The two halves of claim_next_job's search.
create index scraping_jobs_runnable_idx on public.scraping_jobs (run_after)
where status = 'pending' and run_after is not null;
create index scraping_jobs_leased_idx on public.scraping_jobs (lease_expires_at)
where status = 'running';

alter table public.leads
add constraint leads_data_source_fkey foreign key (data_source_id, agency_id)
references public.data_sources (id, agency_id) on delete set null (data_source_id),
add constraint leads_scraping_job_fkey foreign key (scraping_job_id, agency_id)
references public.scraping_jobs (id, agency_id) on delete set null (scraping_job_id);

-- Job logs -----------------------------------------------------------------------
create table public.scraping_job_logs (
    id uuid primary key default gen_random_uuid(),
    job_id uuid not null,
    -- Denormalised from the job so RLS and Realtime filters need no join.
    agency_id uuid not null,
    level public.log_level not null default 'info',
    message text not null,
    details jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default now(),
    constraint scraping_job_logs_job_fkey foreign key (job_id, agency_id)
    references public.scraping_jobs (id, agency_id) on delete cascade,
    constraint scraping_job_logs_details_is_object check (jsonb_typeof(details) = 'object')
);

create index scraping_job_logs_job_created_at_idx on public.scraping_job_logs (job_id, created_at);
create index scraping_job_logs_agency_id_idx on public.scraping_job_logs (agency_id);

-- Writers may omit agency_id: it is the job's.
create function private.fill_job_log_agency() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
    if new.agency_id is null then
        select j.agency_id into new.agency_id from public.scraping_jobs as j where j.id = new.job_id;
    end if;
    return new;
end
$$;

create trigger fill_job_log_agency before insert on public.scraping_job_logs
for each row execute function private.fill_job_log_agency();

-- Job lifecycle ------------------------------------------------------------------
--   pending  -> running     worker claims it (claim_next_job)
--   pending  -> cancelled   user
--   running  -> completed   worker
--   running  -> failed      worker (permanent error, attempts exhausted)
--   running  -> pending     worker releases it (shutdown) or schedules a retry
--   running  -> paused      user
--   running  -> cancelled   user
--   paused   -> pending     user (resume; continues from the checkpoint)
--   paused   -> cancelled   user
-- Anything else raises SQLSTATE PT409 (PostgREST answers HTTP 409).
create function private.job_transition_allowed(
    from_status public.job_status,
    to_status public.job_status,
    by_worker boolean
) returns boolean
language sql immutable parallel safe
set search_path = ''
as $$
    select case
        when (from_status, to_status) in (
            ('pending'::public.job_status, 'cancelled'::public.job_status),
            ('running', 'paused'),
            ('running', 'cancelled'),
            ('paused', 'pending'),
            ('paused', 'cancelled')
        ) then true
        when (from_status, to_status) in (
            ('pending'::public.job_status, 'running'::public.job_status),
            ('running', 'completed'),
            ('running', 'failed'),
            ('running', 'pending')
        ) then by_worker
        else false
    end
$$;

create function private.enforce_job_lifecycle() returns trigger
language plpgsql
set search_path = ''
as $$
begin
    new.updated_at := now();
    -- Users queue a job once (start_job); the schedule after that (retry
    -- backoff) belongs to the workers.
    if current_user = 'authenticated'
        and new.run_after is distinct from old.run_after
        and not (old.status = 'pending' and old.run_after is null) then
        raise exception 'run_after can only be set when starting a job'
            using errcode = 'PT409', hint = 'use start_job / resume_job';
    end if;
    if new.status is not distinct from old.status then
        return new;
    end if;
    if not private.job_transition_allowed(old.status, new.status, current_user <> 'authenticated') then
        raise exception 'invalid job transition: % -> %', old.status, new.status
            using errcode = 'PT409',
            hint = 'pending->running|cancelled, running->completed|failed|paused|cancelled|pending, '
                || 'paused->pending|cancelled; running/completed/failed are set by workers only';
    end if;
    case new.status
        when 'running' then
            new.started_at := coalesce(old.started_at, now());
        when 'pending' then
            new.worker_id := null;
            new.lease_expires_at := null;
            new.heartbeat_at := null;
            new.run_after := coalesce(new.run_after, now());
            if old.status = 'paused' then
                -- A resume is a fresh start: earlier failures do not count.
                new.attempts := 0;
            end if;
        when 'completed', 'failed', 'cancelled' then
            new.completed_at := now();
            new.duration_seconds := greatest(
                0, extract(epoch from new.completed_at - coalesce(new.started_at, new.completed_at))
            )::integer;
            -- A cancelled job keeps its worker until the worker acknowledges
            -- (heartbeat_job answers 'cancelled', release_job drops the lease).
            if new.status <> 'cancelled' then
                new.worker_id := null;
                new.lease_expires_at := null;
            end if;
            if new.status = 'completed' then
                new.progress := 100;
            end if;
        else
            null;
    end case;
    return new;
end
$$;

create trigger enforce_job_lifecycle before update on public.scraping_jobs
for each row execute function private.enforce_job_lifecycle();

-- Lifecycle lines in the job's log.
create function private.log_job_lifecycle() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
    if tg_op = 'INSERT' then
        insert into public.scraping_job_logs (job_id, agency_id, level, message, details)
        values (new.id, new.agency_id, 'info', 'job created', jsonb_build_object('status', new.status));
    elsif new.status is distinct from old.status then
        insert into public.scraping_job_logs (job_id, agency_id, level, message, details)
        values (
            new.id,
            new.agency_id,
            case when new.status = 'failed' then 'error' else 'info' end::public.log_level,
            'job ' || new.status::text,
            jsonb_strip_nulls(jsonb_build_object(
                'from', old.status,
                'to', new.status,
                'worker_id', coalesce(new.worker_id, old.worker_id),
                'attempts', new.attempts,
                'records_processed', new.records_processed,
                'actor_id', auth.uid()
            ))
        );
    end if;
    return null;
end
$$;

create trigger log_job_lifecycle after insert or update of status on public.scraping_jobs
for each row execute function private.log_job_lifecycle();

-- Data source metrics --------------------------------------------------------------
-- total_jobs / successful_jobs / failed_jobs count the source's jobs by status;
-- total_records_scraped sums their records_processed (failed jobs' partial
-- results included). Relative updates under the row lock stay exact.
create function private.update_data_source_metrics() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        update public.data_sources as d
        set total_jobs = d.total_jobs - 1,
            successful_jobs = d.successful_jobs - (old.status = 'completed')::integer,
            failed_jobs = d.failed_jobs - (old.status = 'failed')::integer,
            total_records_scraped = d.total_records_scraped - old.records_processed
        where d.id = old.data_source_id
            and (
                tg_op = 'DELETE'
                or old.data_source_id is distinct from new.data_source_id
                or old.status is distinct from new.status
                or old.records_processed is distinct from new.records_processed
            );
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        update public.data_sources as d
        set total_jobs = d.total_jobs + 1,
            successful_jobs = d.successful_jobs + (new.status = 'completed')::integer,
            failed_jobs = d.failed_jobs + (new.status = 'failed')::integer,
            total_records_scraped = d.total_records_scraped + new.records_processed
        where d.id = new.data_source_id
            and (
                tg_op = 'INSERT'
                or old.data_source_id is distinct from new.data_source_id
                or old.status is distinct from new.status
                or old.records_processed is distinct from new.records_processed
            );
    end if;
    return null;
end
$$;

create trigger update_data_source_metrics after insert or update or delete on public.scraping_jobs
for each row execute function private.update_data_source_metrics();

-- User-facing job control ------------------------------------------------------------
-- SECURITY INVOKER: RLS decides whose jobs a caller may touch; a job the caller
-- cannot see is "not found" (P0002), an illegal move is PT409.
create function private.raise_job_not_found(job_id uuid) returns void
language plpgsql
set search_path = ''
as $$
begin
    raise exception 'scraping job % not found', job_id
        using errcode = 'P0002', hint = 'it does not exist or you may not see it';
end
$$;

create function public.start_job(job_id uuid) returns public.scraping_jobs
language plpgsql
set search_path = ''
as $$
declare
    job public.scraping_jobs;
begin
    select j.* into job from public.scraping_jobs as j where j.id = start_job.job_id for update;
    if not found then
        perform private.raise_job_not_found(start_job.job_id);
    end if;
    if job.status <> 'pending' or job.run_after is not null then
        raise exception 'invalid job transition: cannot start a % job that is %',
            job.status, case when job.run_after is null then 'not queued' else 'already queued' end
            using errcode = 'PT409', hint = 'only a pending job that was never started can be started';
    end if;
    update public.scraping_jobs as j set run_after = now()
    where j.id = start_job.job_id
    returning j.* into job;
    return job;
end
$$;

create function private.set_job_status(
    job_id uuid, to_status public.job_status
) returns public.scraping_jobs
language plpgsql
set search_path = ''
as $$
declare
    job public.scraping_jobs;
begin
    select j.* into job from public.scraping_jobs as j where j.id = set_job_status.job_id for update;
    if not found then
        perform private.raise_job_not_found(set_job_status.job_id);
    end if;
    -- The lifecycle trigger only sees real changes; asking for the state a
    -- job is already in (pausing a paused job, resuming a pending one) is
    -- just as illegal.
    if job.status = to_status then
        raise exception 'invalid job transition: % -> %', job.status, to_status
            using errcode = 'PT409', hint = format('the job is already %s', job.status);
    end if;
    update public.scraping_jobs as j set status = to_status
    where j.id = set_job_status.job_id
    returning j.* into job;
    return job;
end
$$;

create function public.pause_job(job_id uuid) returns public.scraping_jobs
language sql
set search_path = ''
as $$
    select private.set_job_status(job_id, 'paused')
$$;

create function public.resume_job(job_id uuid) returns public.scraping_jobs
language sql
set search_path = ''
as $$
    select private.set_job_status(job_id, 'pending')
$$;

create function public.cancel_job(job_id uuid) returns public.scraping_jobs
language sql
set search_path = ''
as $$
    select private.set_job_status(job_id, 'cancelled')
$$;

-- Worker protocol (service_role only) ---------------------------------------------------
create function private.check_lease_seconds(lease_seconds integer) returns void
language plpgsql
set search_path = ''
as $$
begin
    if lease_seconds is null or lease_seconds not between 5 and 3600 then
        raise exception 'lease_seconds must be between 5 and 3600, got %', lease_seconds
            using errcode = '22023';
    end if;
end
$$;

-- Claims the oldest runnable job: a pending job whose run_after has passed, or
-- a running job whose worker stopped renewing its lease. SKIP LOCKED lets any
-- number of workers claim concurrently without waiting on or sharing a job.
create function public.claim_next_job(
    worker_id text, lease_seconds integer default 60
) returns setof public.scraping_jobs
language plpgsql
set search_path = ''
as $$
declare
    claimed public.scraping_jobs;
    candidate_id uuid;
    previous_worker text;
begin
    perform private.check_lease_seconds(lease_seconds);
    if nullif(btrim(worker_id), '') is null then
        raise exception 'worker_id is required' using errcode = '22023';
    end if;

    -- An abandoned job that has used up its attempts fails instead of looping.
    update public.scraping_jobs as j
    set status = 'failed',
        error_count = j.error_count + 1,
        errors = j.errors || jsonb_build_array(jsonb_build_object(
            'at', now(), 'attempt', j.attempts, 'worker_id', j.worker_id,
            'message', 'lease expired and max_attempts reached'
        ))
    where j.id in (
        select e.id from public.scraping_jobs as e
        where e.status = 'running' and e.lease_expires_at < now() and e.attempts >= e.max_attempts
        for update skip locked
    );

    select e.id, e.worker_id into candidate_id, previous_worker
    from public.scraping_jobs as e
    where (e.status = 'pending' and e.run_after <= now())
        or (e.status = 'running' and e.lease_expires_at < now())
    order by coalesce(e.lease_expires_at, e.run_after)
    limit 1
    for update skip locked;
    if candidate_id is null then
        return;
    end if;

    update public.scraping_jobs as j
    set status = 'running',
        worker_id = claim_next_job.worker_id,
        lease_expires_at = now() + make_interval(secs => lease_seconds),
        heartbeat_at = now(),
        attempts = j.attempts + 1
    where j.id = candidate_id
    returning j.* into claimed;

    if previous_worker is not null then
        insert into public.scraping_job_logs (job_id, agency_id, level, message, details)
        values (
            claimed.id, claimed.agency_id, 'warning', 'job reclaimed after lease expiry',
            jsonb_build_object(
                'previous_worker_id', previous_worker,
                'worker_id', claimed.worker_id,
                'attempts', claimed.attempts,
                'checkpoint', claimed.checkpoint
            )
        );
    end if;
    return next claimed;
end
$$;

-- Raises PT409 unless worker_id still holds the job: a worker that lost its
-- lease must not overwrite the new owner's progress (its transaction, batch
-- included, rolls back).
create function private.lock_owned_job(job_id uuid, worker_id text) returns public.scraping_jobs
language plpgsql
set search_path = ''
as $$
declare
    job public.scraping_jobs;
begin
    select j.* into job from public.scraping_jobs as j where j.id = lock_owned_job.job_id for update;
    if not found then
        perform private.raise_job_not_found(lock_owned_job.job_id);
    end if;
    if job.worker_id is distinct from lock_owned_job.worker_id then
        raise exception 'lease lost: job % is not held by worker %', job.id, lock_owned_job.worker_id
            using errcode = 'PT409', detail = format('status %s, held by %s', job.status, job.worker_id);
    end if;
    return job;
end
$$;

-- Renews the lease; returns the job's status so the worker notices a pause or
-- a cancel (anything but 'running' means: stop after this batch).
create function public.heartbeat_job(
    job_id uuid, worker_id text, lease_seconds integer default 60
) returns public.job_status
language plpgsql
set search_path = ''
as $$
declare
    job public.scraping_jobs;
begin
    perform private.check_lease_seconds(lease_seconds);
    job := private.lock_owned_job(job_id, worker_id);
    if job.status = 'running' then
        update public.scraping_jobs as j
        set lease_expires_at = now() + make_interval(secs => lease_seconds), heartbeat_at = now()
        where j.id = job.id;
    end if;
    return job.status;
end
$$;

-- Records a committed batch: cursor, progress and absolute counters. Call it in
-- the same transaction as the batch's upsert_leads so both commit or neither.
create function public.checkpoint_job(
    job_id uuid,
    worker_id text,
    checkpoint jsonb,
    progress integer,
    records_processed integer,
    records_qualified integer,
    records_rejected integer,
    lease_seconds integer default 60
) returns public.job_status
language plpgsql
set search_path = ''
as $$
declare
    job public.scraping_jobs;
begin
    perform private.check_lease_seconds(lease_seconds);
    job := private.lock_owned_job(job_id, worker_id);
    update public.scraping_jobs as j
    set checkpoint = checkpoint_job.checkpoint,
        progress = checkpoint_job.progress,
        records_processed = checkpoint_job.records_processed,
        records_qualified = checkpoint_job.records_qualified,
        records_rejected = checkpoint_job.records_rejected,
        heartbeat_at = now(),
        lease_expires_at = case
            when j.status = 'running' then now() + make_interval(secs => lease_seconds)
            else j.lease_expires_at
        end
    where j.id = job.id;
    return job.status;
end
$$;

create function public.complete_job(
    job_id uuid, worker_id text, result_file_url text default null, raw_data_url text default null
) returns public.scraping_jobs
language plpgsql
set search_path = ''
as $$
declare
    job public.scraping_jobs;
begin
    job := private.lock_owned_job(job_id, worker_id);
    update public.scraping_jobs as j
    set status = 'completed',
        result_file_url = coalesce(complete_job.result_file_url, j.result_file_url),
        raw_data_url = coalesce(complete_job.raw_data_url, j.raw_data_url)
    where j.id = job.id
    returning j.* into job;
    return job;
end
$$;

-- Records an error. A retryable one re-queues the job with exponential backoff
-- (30 s doubling, capped at 1 h, +-20% jitter) while attempts remain; anything
-- else fails the job, keeping its partial results.
create function public.fail_job(
    job_id uuid,
    worker_id text,
    error text,
    retryable boolean default false,
    details jsonb default '{}'::jsonb
) returns public.scraping_jobs
language plpgsql
set search_path = ''
as $$
declare
    job public.scraping_jobs;
    will_retry boolean;
    backoff interval;
begin
    job := private.lock_owned_job(job_id, worker_id);
    will_retry := retryable and job.status = 'running' and job.attempts < job.max_attempts;
    backoff := make_interval(
        secs => least(3600, 30 * power(2, greatest(job.attempts - 1, 0)))
        * (0.8 + random() * 0.4)
    );
    update public.scraping_jobs as j
    set status = case
            when will_retry then 'pending'::public.job_status
            when j.status = 'running' then 'failed'::public.job_status
            else j.status
        end,
        run_after = case when will_retry then now() + backoff else j.run_after end,
        error_count = j.error_count + 1,
        errors = j.errors || jsonb_build_array(jsonb_build_object(
            'at', now(),
            'attempt', j.attempts,
            'worker_id', fail_job.worker_id,
            'message', fail_job.error,
            'retryable', fail_job.retryable,
            'details', coalesce(fail_job.details, '{}'::jsonb)
        )),
        worker_id = null,
        lease_expires_at = null
    where j.id = job.id
    returning j.* into job;
    return job;
end
$$;

-- Gives a job back without counting an attempt (graceful shutdown), or
-- acknowledges a pause / cancel by dropping the lease.
create function public.release_job(job_id uuid, worker_id text) returns public.scraping_jobs
language plpgsql
set search_path = ''
as $$
declare
    job public.scraping_jobs;
begin
    job := private.lock_owned_job(job_id, worker_id);
    update public.scraping_jobs as j
    set status = case when j.status = 'running' then 'pending'::public.job_status else j.status end,
        attempts = case when j.status = 'running' then greatest(j.attempts - 1, 0) else j.attempts end,
        run_after = case when j.status = 'running' then now() else j.run_after end,
        worker_id = null,
        lease_expires_at = null
    where j.id = job.id
    returning j.* into job;
    return job;
end
$$;

-- RLS and privileges -----------------------------------------------------------------
alter table public.data_sources enable row level security;
alter table public.scraping_jobs enable row level security;
alter table public.scraping_job_logs enable row level security;

-- data_sources: staff read (never the credentials column, see grants); admins write.
create policy data_sources_select on public.data_sources for select to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
);
create policy data_sources_insert on public.data_sources for insert to authenticated
with check (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);
create policy data_sources_update on public.data_sources for update to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
)
with check (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);
create policy data_sources_delete on public.data_sources for delete to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);

-- scraping_jobs: staff read, create and control; admins delete.
create policy scraping_jobs_select on public.scraping_jobs for select to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
);
create policy scraping_jobs_insert on public.scraping_jobs for insert to authenticated
with check (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
);
create policy scraping_jobs_update on public.scraping_jobs for update to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
)
with check (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
);
create policy scraping_jobs_delete on public.scraping_jobs for delete to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin}'))::uuid[])
);

-- scraping_job_logs: staff read; workers (service_role) write.
create policy scraping_job_logs_select on public.scraping_job_logs for select to authenticated
using (
    agency_id = any((select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[])
);

revoke all on public.data_sources, public.scraping_jobs, public.scraping_job_logs
from anon, authenticated;

-- Everything but the credentials ciphertext is readable; it can be written.
grant select (
    id, agency_id, name, type, status, config, has_credentials, last_test_at, last_test_status,
    last_test_error, total_jobs, successful_jobs, failed_jobs, total_records_scraped, description,
    created_by, created_at, updated_at
) on public.data_sources to authenticated;
grant insert (
    id, agency_id, name, type, status, config, credentials, description, created_by
) on public.data_sources to authenticated;
grant update (name, status, config, credentials, description)
on public.data_sources to authenticated;
grant delete on public.data_sources to authenticated;

-- Users create jobs and move them through the user transitions; everything a
-- worker maintains (lease, counters, checkpoint, errors) is service_role's.
grant select, delete on public.scraping_jobs to authenticated;
grant insert (
    id, agency_id, data_source_id, campaign_id, config, search_criteria, max_attempts, created_by
) on public.scraping_jobs to authenticated;
grant update (status, run_after, config, search_criteria, campaign_id, max_attempts)
on public.scraping_jobs to authenticated;

grant select on public.scraping_job_logs to authenticated;

revoke all on function public.start_job(uuid) from public, anon;
revoke all on function public.pause_job(uuid) from public, anon;
revoke all on function public.resume_job(uuid) from public, anon;
revoke all on function public.cancel_job(uuid) from public, anon;
grant execute on function public.start_job(uuid) to authenticated, service_role;
grant execute on function public.pause_job(uuid) to authenticated, service_role;
grant execute on function public.resume_job(uuid) to authenticated, service_role;
grant execute on function public.cancel_job(uuid) to authenticated, service_role;

revoke all on function public.claim_next_job(text, integer) from public, anon, authenticated;
revoke all on function public.heartbeat_job(uuid, text, integer) from public, anon, authenticated;
revoke all on function public.checkpoint_job(
    uuid, text, jsonb, integer, integer, integer, integer, integer
) from public, anon, authenticated;
revoke all on function public.complete_job(uuid, text, text, text) from public, anon, authenticated;
revoke all on function public.fail_job(uuid, text, text, boolean, jsonb)
from public, anon, authenticated;
revoke all on function public.release_job(uuid, text) from public, anon, authenticated;
grant execute on function public.claim_next_job(text, integer) to service_role;
grant execute on function public.heartbeat_job(uuid, text, integer) to service_role;
grant execute on function public.checkpoint_job(
    uuid, text, jsonb, integer, integer, integer, integer, integer
) to service_role;
grant execute on function public.complete_job(uuid, text, text, text) to service_role;
grant execute on function public.fail_job(uuid, text, text, boolean, jsonb) to service_role;
grant execute on function public.release_job(uuid, text) to service_role;

do $$
begin
    perform private.attach_audit_triggers('public.data_sources');
    perform private.attach_audit_triggers('public.scraping_jobs');
end
$$;
