-- 013 A retryable failure waits at least as long as the provider asked.
-- A connector that gives up on a rate limit (HTTP 429, or 503 with
-- Retry-After) hands the wait it was given to fail_job() as
-- details.retry_after_seconds. The job is then re-queued no earlier than that
-- (a day at most), instead of after the usual backoff (30 s on the first
-- retry), which would spend an attempt on a provider that has already said
-- when it will answer again. Anything else as in migration 003: exponential
-- backoff (30 s doubling, capped at 1 h, +-20 % jitter) while attempts remain;
-- otherwise the job fails, keeping its partial results.
create or replace function public.fail_job(
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
    -- Only a JSON number counts; anything else there is kept in the error log and ignored.
    asked_seconds constant double precision := case
        when jsonb_typeof(fail_job.details -> 'retry_after_seconds') = 'number'
            then least(greatest((fail_job.details ->> 'retry_after_seconds')::double precision, 0), 86400)
        else 0
    end;
begin
    job := private.lock_owned_job(job_id, worker_id);
    will_retry := retryable and job.status = 'running' and job.attempts < job.max_attempts;
    backoff := greatest(
        make_interval(
            secs => least(3600, 30 * power(2, greatest(job.attempts - 1, 0)))
            * (0.8 + random() * 0.4)
        ),
        make_interval(secs => asked_seconds)
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
