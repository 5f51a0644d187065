-- ingest_job_batch (migration 009): signature and privileges, the lease check,
-- leads and checkpoint committed together, absolute counters, database
-- rejections moved into the counters, and a replayed batch adding nothing.
begin;
create extension if not exists pgtap with schema extensions;

select plan(16);
set constraints all immediate;

select has_function(
    'public', 'ingest_job_batch',
    array['uuid', 'text', 'jsonb', 'jsonb', 'integer', 'integer', 'integer', 'integer', 'integer']
);
select ok(
    not has_function_privilege(
        'authenticated',
        'public.ingest_job_batch(uuid, text, jsonb, jsonb, integer, integer, integer, integer, integer)',
        'execute'
    )
    and has_function_privilege(
        'service_role',
        'public.ingest_job_batch(uuid, text, jsonb, jsonb, integer, integer, integer, integer, integer)',
        'execute'
    ),
    'ingest_job_batch: service_role only'
);

-- A job of Demo Agency's data source feeding campaign A3 (no leads in the seed's counters
-- matter here: the assertions compare against counts taken before).
insert into public.scraping_jobs (id, agency_id, data_source_id, campaign_id, run_after) values (
    '99999999-9999-4999-8999-000000000051', '11111111-1111-4111-8111-111111111111',
    '44444444-4444-4444-8444-000000000001', '33333333-3333-4333-8333-000000000003', now()
);
create temporary table before_counts as
select
    (
        select leads_count from public.campaigns
        where id = '33333333-3333-4333-8333-000000000003')
        as campaign_leads,
    (select count(*) from public.leads) as leads;
grant select on before_counts to service_role;

set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select is(
    (select id from public.claim_next_job('w1', 60)), '99999999-9999-4999-8999-000000000051'::uuid,
    'w1 claims the job'
);
select throws_ok(
    $$select public.ingest_job_batch(
        '99999999-9999-4999-8999-000000000051', 'w2', '[{"email": "x@t.io"}]', '{"row": 1}',
        10, 1, 0, 0)$$,
    'PT409', null, 'a worker without the lease cannot ingest'
);
select is(
    (
        select count(*) from public.leads
        where email = 'x@t.io'
    ), 0::bigint,
    'nothing of the refused batch was written'
);

-- Batch 1: two new leads (one qualified), one duplicate inside the batch, one row the
-- worker already rejected (counted by the caller), one row the database rejects.
create temporary table batch1 as
select public.ingest_job_batch(
    '99999999-9999-4999-8999-000000000051', 'w1',
    $$[
        {"email": "ann@t.io", "first_name": "Ann", "qualification_status": "qualified"},
        {"email": "bob@t.io", "first_name": "Bob"},
        {"email": "ANN@t.io", "company": "Acme"},
        {"email": "not-an-email", "qualification_status": "qualified"}
    ]$$,
    '{"row": 5}', 25, 5, 2, 1
) as result;
select is(
    (select result - 'rejections' from batch1),
    '{"status": "running", "inserted": 2, "updated": 0, "unchanged": 1, "rejected": 1,
      "records_processed": 5, "records_qualified": 1, "records_rejected": 2}'::jsonb,
    'batch 1: counts, and the database rejection moves out of qualified into rejected'
);
select is(
    (select result -> 'rejections' -> 0 ->> 'index' from batch1), '3',
    'the rejection names the record''s position in the batch'
);
select results_eq(
    $$select checkpoint, progress, records_processed, records_qualified, records_rejected
      from public.scraping_jobs where id = '99999999-9999-4999-8999-000000000051'$$,
    $$values ('{"row": 5}'::jsonb, 25, 5, 1, 2)$$,
    'the checkpoint and absolute counters are stored with the batch'
);
select results_eq(
    $$select campaign_id, source, data_source_id, scraping_job_id, agency_id
      from public.leads where email = 'ann@t.io'$$,
    $$values (
        '33333333-3333-4333-8333-000000000003'::uuid, 'csv',
        '44444444-4444-4444-8444-000000000001'::uuid, '99999999-9999-4999-8999-000000000051'::uuid,
        '11111111-1111-4111-8111-111111111111'::uuid
    )$$,
    'leads carry the job''s campaign, source type, data source, job and agency'
);
select is(
    (
        select company from public.leads
        where email = 'ann@t.io'
    ), 'Acme',
    'the in-batch duplicate merged into one lead'
);

-- A replay of batch 1 (the worker crashed before learning the outcome) changes nothing.
select is(
    public.ingest_job_batch(
        '99999999-9999-4999-8999-000000000051', 'w1',
        '[{"email": "ann@t.io", "first_name": "Ann", "qualification_status": "qualified"},
          {"email": "bob@t.io", "first_name": "Bob"}]',
        '{"row": 5}', 25, 5, 2, 1
    ) - 'rejections',
    '{"status": "running", "inserted": 0, "updated": 0, "unchanged": 2, "rejected": 0,
      "records_processed": 5, "records_qualified": 2, "records_rejected": 1}'::jsonb,
    'a replayed batch inserts nothing and its counters are absolute'
);
select is(
    (select count(*) from public.leads) - (select leads from before_counts), 2::bigint,
    'two leads in all after batch and replay'
);
select is(
    (
        select leads_count from public.campaigns
        where id = '33333333-3333-4333-8333-000000000003'
    ) - (select campaign_leads from before_counts),
    2,
    'the campaign counts the two leads'
);

-- A paused job still takes the batch in flight and reports the pause.
reset role;
reset "request.jwt.claims";
select public.pause_job('99999999-9999-4999-8999-000000000051');
set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select is(
    public.ingest_job_batch(
        '99999999-9999-4999-8999-000000000051', 'w1', '[{"email": "cy@t.io"}]',
        '{"row": 6}', 30, 6, 2, 1
    ) ->> 'status',
    'paused',
    'a batch in flight on a paused job commits and returns paused'
);
select throws_ok(
    $$select public.ingest_job_batch(
        '99999999-9999-4999-8999-000000000051', 'w1', '[]', '{"row": 6}', 30, 6, 2, 1, 1)$$,
    '22023', null, 'lease_seconds out of range raises 22023'
);
select public.cancel_job('99999999-9999-4999-8999-000000000051');
select throws_ok(
    $$select public.ingest_job_batch(
        '99999999-9999-4999-8999-000000000051', 'w1', '[{"email": "dee@t.io"}]',
        '{"row": 7}', 35, 7, 2, 1)$$,
    'PT409', null, 'a cancelled job takes no more batches'
);
reset role;
reset "request.jwt.claims";

select * from finish();
rollback;
