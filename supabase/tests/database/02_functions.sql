-- Functions of migrations 003 and 006: signatures, privileges and behaviour
-- (lead score model, bulk status update, analytics, cache archiving, the
-- batch upsert, job control and the worker queue protocol).
begin;
create extension if not exists pgtap with schema extensions;

select plan(151);
-- Apply campaign counter deltas at each statement, not at commit (never reached here).
set constraints all immediate;

-- Signatures ------------------------------------------------------------------------------
select
    has_function(
        'public', v.fn, v.args, format('function %s(%s)', v.fn, array_to_string(v.args, ', '))
    )
from (
    values
    ('get_campaign_performance', array['uuid']),
    ('calculate_lead_score', array['uuid']),
    ('bulk_update_lead_status', array['uuid[]', 'text', 'uuid']),
    ('get_agency_overview', array['uuid']),
    ('get_top_campaigns', array['uuid', 'integer', 'text']),
    ('archive_old_analytics_cache', array['integer']),
    ('upsert_leads', array['jsonb', 'uuid', 'text', 'uuid', 'uuid', 'uuid']),
    ('start_job', array['uuid']),
    ('pause_job', array['uuid']),
    ('resume_job', array['uuid']),
    ('cancel_job', array['uuid']),
    ('claim_next_job', array['text', 'integer']),
    ('heartbeat_job', array['uuid', 'text', 'integer']),
    (
        'checkpoint_job',
        array['uuid', 'text', 'jsonb', 'integer', 'integer', 'integer', 'integer', 'integer']
    ),
    ('complete_job', array['uuid', 'text', 'text', 'text']),
    ('fail_job', array['uuid', 'text', 'text', 'boolean', 'jsonb']),
    ('release_job', array['uuid', 'text']),
    ('recompute_campaign_metrics', array['uuid'])
) as v (fn, args);

-- Privileges: worker and maintenance functions are service_role's only; API
-- functions are not anon's.
select
    ok(
        not has_function_privilege('authenticated', f, 'execute')
        and not has_function_privilege('anon', f, 'execute')
        and has_function_privilege('service_role', f, 'execute'),
        format('%s: service_role only', f)
    )
from unnest(array[
    'public.claim_next_job(text, integer)', 'public.heartbeat_job(uuid, text, integer)',
    'public.checkpoint_job(uuid, text, jsonb, integer, integer, integer, integer, integer)',
    'public.complete_job(uuid, text, text, text)',
    'public.fail_job(uuid, text, text, boolean, jsonb)',
    'public.release_job(uuid, text)', 'public.recompute_campaign_metrics(uuid)',
    'public.archive_old_analytics_cache(integer)'
]) as f;
select
    ok(
        has_function_privilege('authenticated', f, 'execute')
        and not has_function_privilege('anon', f, 'execute'),
        format('%s: authenticated yes, anon no', f)
    )
from unnest(array[
    'public.calculate_lead_score(uuid)', 'public.get_campaign_performance(uuid)',
    'public.get_agency_overview(uuid)', 'public.get_top_campaigns(uuid, integer, text)',
    'public.bulk_update_lead_status(uuid[], text, uuid)',
    'public.upsert_leads(jsonb, uuid, text, uuid, uuid, uuid)', 'public.start_job(uuid)',
    'public.pause_job(uuid)', 'public.resume_job(uuid)', 'public.cancel_job(uuid)'
]) as f;

-- Lead score (model in migration 006) ---------------------------------------------------
insert into public.leads (
    id, agency_id, email, phone, linkedin_url, title, company, first_name, status,
    qualification_status, priority
) values
(
    '77777777-7777-4777-8777-000000000001', '22222222-2222-4222-8222-222222222222', 'full@score.io',
    '+1 555 0100',
    'https://www.linkedin.com/in/full',
    'CEO',
    'Full Co',
    null,
    'converted',
    'qualified',
    'urgent'
),
(
    '77777777-7777-4777-8777-000000000002', '22222222-2222-4222-8222-222222222222', null,
    null, null, null, null, 'Solo', 'new', 'pending', 'low'
),
(
    '77777777-7777-4777-8777-000000000003',
    '22222222-2222-4222-8222-222222222222',
    'contacted@score.io',
    null, null, null, null, null, 'contacted', 'pending', 'medium'
),
(
    '77777777-7777-4777-8777-000000000004', '22222222-2222-4222-8222-222222222222', 'dq@score.io',
    '+1 555 0101',
    'https://www.linkedin.com/in/dq',
    'CTO',
    'DQ Co',
    null,
    'disqualified',
    'pending',
    'urgent'
),
(
    '77777777-7777-4777-8777-000000000005',
    '22222222-2222-4222-8222-222222222222',
    'responded@score.io',
    null, null, 'VP', null, null, 'responded', 'pending', 'high'
),
(
    '77777777-7777-4777-8777-000000000006',
    '22222222-2222-4222-8222-222222222222',
    'qualified@score.io',
    null, null, null, 'Q Co', null, 'qualified', 'pending', 'medium'
),
(
    '77777777-7777-4777-8777-000000000007', '22222222-2222-4222-8222-222222222222', 'qdq@score.io',
    '+1 555 0102', null, 'CFO', 'QDQ Co', null, 'contacted', 'disqualified', 'high'
),
(
    '77777777-7777-4777-8777-000000000008', '22222222-2222-4222-8222-222222222222', null,
    null,
    'https://www.linkedin.com/in/nurture',
    null,
    null,
    null,
    'nurturing',
    'qualified',
    'medium'
);

select is(
    calculate_lead_score('77777777-7777-4777-8777-000000000001'), 100,
    'complete, converted, qualified, urgent lead scores 100'
);
select is(
    calculate_lead_score('77777777-7777-4777-8777-000000000002'), 0,
    'name-only new low-priority lead scores 0'
);
select is(
    calculate_lead_score('77777777-7777-4777-8777-000000000003'), 29,
    'email 15 + contacted 10 + medium 4 = 29'
);
select is(
    calculate_lead_score('77777777-7777-4777-8777-000000000004'), 0,
    'a disqualified status scores 0 whatever else'
);
select is(
    calculate_lead_score('77777777-7777-4777-8777-000000000005'), 52,
    'email 15 + title 5 + responded 25 + high 7 = 52'
);
select is(
    calculate_lead_score('77777777-7777-4777-8777-000000000006'), 69,
    'email 15 + company 5 + qualified 30 + qualification 15 + medium 4 = 69'
);
select is(
    calculate_lead_score('77777777-7777-4777-8777-000000000007'), 0,
    'a disqualified qualification scores 0'
);
select is(
    calculate_lead_score('77777777-7777-4777-8777-000000000008'), 44,
    'linkedin 5 + nurturing 20 + qualification 15 + medium 4 = 44'
);
select throws_ok(
    $$select calculate_lead_score('00000000-0000-4000-8000-00000000dead')$$,
    'P0002', null, 'scoring an unknown lead raises P0002'
);
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select throws_ok(
    $$select calculate_lead_score('77777777-7777-4777-8777-000000000001')$$,
    'P0002', null, 'scoring another agency''s lead raises P0002 (RLS)'
);
reset role;
reset "request.jwt.claims";

-- bulk_update_lead_status ------------------------------------------------------------------
insert into public.leads (id, agency_id, campaign_id, email, status) values
(
    '88888888-8888-4888-8888-000000000001', '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000002', 'bulk1@t.io', 'new'
),
(
    '88888888-8888-4888-8888-000000000002', '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000002', 'bulk2@t.io', 'new'
),
(
    '88888888-8888-4888-8888-000000000003', '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000003', 'bulk3@t.io', 'new'
),
(
    '88888888-8888-4888-8888-000000000004', '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000003', 'bulk4@t.io', 'contacted'
),
(
    '88888888-8888-4888-8888-000000000005', '22222222-2222-4222-8222-222222222222',
    '33333333-3333-4333-8333-000000000004', 'bulk5@t.io', 'new'
);

set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select is(
    bulk_update_lead_status(array[
        '88888888-8888-4888-8888-000000000001', '88888888-8888-4888-8888-000000000002',
        '88888888-8888-4888-8888-000000000003', '88888888-8888-4888-8888-000000000004',
        '88888888-8888-4888-8888-000000000005'
    ]::uuid[], 'contacted', '00000000-0000-4000-8000-000000000012'),
    3, 'bulk update counts changed rows only (skips unchanged and other agency''s leads)'
);
select throws_ok(
    $$select bulk_update_lead_status(array['88888888-8888-4888-8888-000000000001']::uuid[], 'bogus',
        '00000000-0000-4000-8000-000000000012')$$,
    '22023', null, 'an invalid status raises 22023'
);
select throws_ok(
    $$select bulk_update_lead_status(array['88888888-8888-4888-8888-000000000001']::uuid[], 'responded',
        '00000000-0000-4000-8000-000000000011')$$,
    '42501', null, 'an authenticated caller naming another user_id raises 42501'
);
select is(
    bulk_update_lead_status('{}'::uuid[], 'new', '00000000-0000-4000-8000-000000000012'), 0,
    'an empty id list changes nothing'
);
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select id::text, status::text from public.leads
      where id::text like '88888888-8888-4888-8888-00000000000%' order by id$$,
    $$values ('88888888-8888-4888-8888-000000000001', 'contacted'),
             ('88888888-8888-4888-8888-000000000002', 'contacted'),
             ('88888888-8888-4888-8888-000000000003', 'contacted'),
             ('88888888-8888-4888-8888-000000000004', 'contacted'),
             ('88888888-8888-4888-8888-000000000005', 'new')$$,
    'bulk update changed the caller''s agency''s leads only'
);
select is(
    (
        select count(*)::integer from public.audit_log
        where
            table_name = 'leads' and action = 'update'
            and actor_id = '00000000-0000-4000-8000-000000000012'
            and row_id in (
                '88888888-8888-4888-8888-000000000001', '88888888-8888-4888-8888-000000000002',
                '88888888-8888-4888-8888-000000000003'
            )
    ),
    3, 'each bulk-updated lead is audited with the acting user'
);
-- A trusted process may act on behalf of a user.
select is(
    bulk_update_lead_status(
        array['88888888-8888-4888-8888-000000000005']::uuid[], 'qualified',
        '00000000-0000-4000-8000-000000000022'
    ),
    1, 'a trusted caller updates any agency''s lead'
);
select is(
    (
        select actor_id from public.audit_log
        where row_id = '88888888-8888-4888-8888-000000000005' and action = 'update'
    ),
    '00000000-0000-4000-8000-000000000022'::uuid,
    'the trusted caller''s user_id is recorded as the audit actor'
);

-- get_campaign_performance ---------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select is(
    (
        select (r ->> 'leads_count')::integer
        from get_campaign_performance('33333333-3333-4333-8333-000000000001') as r
    ),
    20, 'a member client reads the performance of their campaign'
);
select is(
    (
        select (select sum(value::integer) from jsonb_each_text(r -> 'status_breakdown'))::integer
        from get_campaign_performance('33333333-3333-4333-8333-000000000001') as r
    ),
    20, 'status_breakdown sums to leads_count'
);
select throws_ok(
    $$select get_campaign_performance('33333333-3333-4333-8333-000000000002')$$,
    'P0002', null, 'a client gets P0002 for a campaign they are not a member of'
);
reset role;
reset "request.jwt.claims";

-- get_agency_overview -----------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
create temp table overview as
select get_agency_overview('11111111-1111-4111-8111-111111111111') as o;
reset role;
reset "request.jwt.claims";
select set_eq(
    'select jsonb_object_keys(o) from overview',
    array['campaigns', 'leads', 'dataSources', 'scraping', 'trends'],
    'overview has campaigns, leads, dataSources, scraping and trends'
);
select results_eq(
    $$select (o #>> '{campaigns,total}')::integer, (o #>> '{campaigns,active}')::integer,
             (o #>> '{campaigns,inactive}')::integer from overview$$,
    $$select count(*)::integer, (count(*) filter (where status = 'active'))::integer,
             (count(*) filter (where status <> 'active'))::integer
      from public.campaigns where agency_id = '11111111-1111-4111-8111-111111111111'$$,
    'overview campaign figures equal the counts'
);
select results_eq(
    $$select (o #>> '{leads,total}')::integer, (o #>> '{leads,qualified}')::integer,
             (o #>> '{leads,contacted}')::integer, (o #>> '{leads,responded}')::integer,
             (o #>> '{leads,converted}')::integer from overview$$,
    $$select count(*)::integer,
             (count(*) filter (where qualification_status = 'qualified'))::integer,
             (count(*) filter (where last_contacted_at is not null))::integer,
             (count(*) filter (where last_responded_at is not null))::integer,
             (count(*) filter (where status = 'converted'))::integer
      from public.leads where agency_id = '11111111-1111-4111-8111-111111111111'$$,
    'overview lead figures equal the counts'
);
select results_eq(
    $$select (o #>> '{dataSources,total}')::integer, (o #>> '{scraping,totalJobs}')::integer from overview$$,
    $$values (1, 0)$$,
    'overview data source and job figures'
);
select is(
    (select (o #>> '{leads,conversionRate}')::numeric from overview),
    (
        select round(100.0 * count(*) filter (where status = 'converted') / count(*), 2)
        from public.leads
        where agency_id = '11111111-1111-4111-8111-111111111111'
    ),
    'conversionRate is converted / total in %'
);
select ok(
    exists (
        select 1 from public.analytics_cache
        where
            cache_key = 'agency_overview:11111111-1111-4111-8111-111111111111'
            and agency_id = '11111111-1111-4111-8111-111111111111' and expires_at > now()
    ),
    'the overview is cached for the agency'
);
insert into public.leads (agency_id, email) values (
    '11111111-1111-4111-8111-111111111111', 'fresh@t.io'
);
select ok(
    not exists (
        select 1 from public.analytics_cache
        where cache_key = 'agency_overview:11111111-1111-4111-8111-111111111111'
    ),
    'a lead insert invalidates the cached overview'
);
select is(
    (get_agency_overview('11111111-1111-4111-8111-111111111111') #>> '{leads,total}')::integer,
    (select (o #>> '{leads,total}')::integer + 1 from overview),
    'the recomputed overview counts the new lead'
);
delete from public.leads
where email = 'fresh@t.io';
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select throws_ok(
    $$select get_agency_overview('11111111-1111-4111-8111-111111111111')$$,
    '42501', null, 'a client may not read the agency overview'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000021","role":"authenticated"}';
select throws_ok(
    $$select get_agency_overview('11111111-1111-4111-8111-111111111111')$$,
    '42501', null, 'another agency''s admin may not read the overview'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000022","role":"authenticated"}';
select is(
    (get_agency_overview('22222222-2222-4222-8222-222222222222') #>> '{campaigns,total}')::integer,
    1,
    'a researcher reads their own agency''s overview'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated"}';
select is(
    (get_agency_overview('22222222-2222-4222-8222-222222222222') #>> '{leads,total}')::integer,
    (
        select count(*)::integer from public.leads
        where agency_id = '22222222-2222-4222-8222-222222222222'
    ),
    'a super admin reads any agency''s overview'
);
reset role;
reset "request.jwt.claims";
set local role anon;
select throws_ok(
    $$select get_agency_overview('11111111-1111-4111-8111-111111111111')$$,
    '42501', null, 'anon may not read the overview'
);
reset role;
reset "request.jwt.claims";

-- get_top_campaigns ---------------------------------------------------------------------------
insert into public.leads (agency_id, campaign_id, email, status) values
(
    '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000001',
    'top1@t.io',
    'converted'
),
(
    '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000001',
    'top2@t.io',
    'converted'
);
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
-- leads_count now: Q1 22, Fintech 22 (bulk leads above), EU 22.
select results_eq(
    $$select name, leads_count from get_top_campaigns('11111111-1111-4111-8111-111111111111', 10, 'converted_count')$$,
    $$select name, leads_count from public.campaign_performance_view
      where agency_id = '11111111-1111-4111-8111-111111111111'
      order by converted_count desc, name$$,
    'get_top_campaigns orders by the metric, then name'
);
select is(
    (
        select name
        from get_top_campaigns('11111111-1111-4111-8111-111111111111', 1, 'converted_count')
    ),
    'Q1 SaaS CTOs', 'the campaign with most conversions ranks first'
);
select is(
    (
        select count(*)::integer
        from get_top_campaigns('11111111-1111-4111-8111-111111111111', 2, 'leads_count')
    ),
    2, 'limit_count limits the ranking'
);
select throws_ok(
    $$select * from get_top_campaigns('11111111-1111-4111-8111-111111111111', 5, 'name; drop table leads')$$,
    '22023', null, 'an unknown metric raises 22023'
);
select throws_ok(
    $$select * from get_top_campaigns('11111111-1111-4111-8111-111111111111', 0, 'leads_count')$$,
    '22023', null, 'limit_count 0 raises 22023'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000021","role":"authenticated"}';
select is_empty(
    $$select * from get_top_campaigns('11111111-1111-4111-8111-111111111111', 10, 'leads_count')$$,
    'another agency''s campaigns are not ranked for an outsider (RLS)'
);
reset role;
reset "request.jwt.claims";

-- archive_old_analytics_cache -----------------------------------------------------------------
delete from public.analytics_cache;
insert into public.analytics_cache (cache_key, cache_value, expires_at) values
('arch:old', '{}', now() - interval '10 days'),
('arch:recent', '{}', now() - interval '2 days'),
('arch:live', '{}', now() + interval '1 hour');
select is(archive_old_analytics_cache(7), 1, 'archive(7) removes one entry');
select results_eq(
    $$select cache_key from public.analytics_cache order by cache_key$$,
    $$values ('arch:live'), ('arch:recent')$$,
    'only the entry expired more than 7 days ago is gone'
);
select is(archive_old_analytics_cache(0), 1, 'archive(0) removes every expired entry');
select
    throws_ok(
        $$select archive_old_analytics_cache(-1)$$, '22023', null, 'negative days_old raises 22023'
    );
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
select throws_ok(
    $$select archive_old_analytics_cache(7)$$, '42501', null,
    'authenticated may not archive the cache'
);
reset role;
reset "request.jwt.claims";

-- recompute_campaign_metrics ---------------------------------------------------------------------
select
    is(
        recompute_campaign_metrics(null),
        0,
        'nothing to correct when the triggers kept counters exact'
    );
update public.campaigns set leads_count = 99, responded_count = 0
where id = '33333333-3333-4333-8333-000000000003';
select is(
    recompute_campaign_metrics('33333333-3333-4333-8333-000000000003'), 1,
    'recompute corrects the drifted campaign'
);
select results_eq(
    $$select leads_count, responded_count from public.campaigns where id = '33333333-3333-4333-8333-000000000003'$$,
    $$select count(*)::integer, (count(*) filter (where last_responded_at is not null))::integer
      from public.leads where campaign_id = '33333333-3333-4333-8333-000000000003'$$,
    'recomputed counters equal the counts'
);

-- upsert_leads ------------------------------------------------------------------------------------
create temp table upsert_batch as select $json$[
    {"email": " New.One@Acme.io ", "first_name": "New", "company": "Acme"},
    {"email": "new.one@acme.io", "title": "CTO", "phone": "+1 555 0199", "first_name": "Other"},
    {"email": "bad@@x"},
    {"first_name": "Only"},
    {"email": "buyer1@retailco1.com", "title": "IGNORED", "phone": "+1 555 0000"},
    {"email": "buyer2@retailco2.com"},
    {"linkedin_url": "https://linkedin.com/in/Lone-Wolf/", "first_name": "Lone"},
    {"email": "x@y.io", "status": "bogus"},
    {"email": "z@y.io", "foo": "bar"},
    "not an object",
    {"email": 5}
]$json$::jsonb as records;

grant select on upsert_batch to authenticated;
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000022","role":"authenticated"}';
create temp table upsert_r1 as
select r.* from upsert_batch
cross join lateral upsert_leads(records, '33333333-3333-4333-8333-000000000004', 'import') as r;
reset role;
reset "request.jwt.claims";
select results_eq(
    'select inserted, updated, unchanged, rejected from upsert_r1',
    $$values (2, 1, 2, 6)$$,
    'upsert: 2 inserted, 1 updated, 2 unchanged (in-batch and existing duplicates), 6 rejected'
);
select is(
    (select rejections from upsert_r1),
    $$[{"index": 2, "reason": "invalid email: bad@@x"},
       {"index": 3, "reason": "no identity: needs an email, a linkedin_url, or a name and a company"},
       {"index": 7, "reason": "invalid status: bogus"},
       {"index": 8, "reason": "unknown field(s): foo"},
       {"index": 9, "reason": "record is not a JSON object"},
       {"index": 10, "reason": "invalid email: 5"}]$$::jsonb,
    'rejections carry the 0-based index and the reason'
);
select results_eq(
    $$select email, first_name, company, title, phone, source, campaign_id, agency_id, created_by
      from public.leads where email = 'new.one@acme.io'$$,
    $$values ('new.one@acme.io', 'New', 'Acme', 'CTO', '+1 555 0199', 'import',
              '33333333-3333-4333-8333-000000000004'::uuid, '22222222-2222-4222-8222-222222222222'::uuid,
              '00000000-0000-4000-8000-000000000022'::uuid)$$,
    'in-batch duplicates merge: first record wins, later ones fill gaps; email normalised'
);
select results_eq(
    $$select title, phone, source from public.leads where email = 'buyer1@retailco1.com'$$,
    $$values ('Head of Operations', '+1 555 0000', 'seed')$$,
    'merging into an existing lead fills empty fields without overwriting'
);
select is(
    (
        select linkedin_url from public.leads
        where first_name = 'Lone'
    ),
    'https://www.linkedin.com/in/lone-wolf',
    'a LinkedIn-only record is inserted with a canonical URL'
);
select results_eq(
    $$select r.inserted, r.updated, r.unchanged from upsert_leads($j$[
        {"email": "buyer4@retailco0.com", "status": "contacted", "qualification_status": "qualified"},
        {"email": "buyer1@retailco1.com", "status": "responded", "metadata": {"k": "v"}}
    ]$j$, null, null, null, null, '22222222-2222-4222-8222-222222222222') as r$$,
    $$values (0, 2, 0)$$,
    'a trusted caller upserts into a named agency: both existing leads updated'
);
select results_eq(
    $$select email, status::text, qualification_status::text, metadata from public.leads
      where email in ('buyer4@retailco0.com', 'buyer1@retailco1.com') order by email$$,
    $$values ('buyer1@retailco1.com', 'contacted', 'pending', '{"k": "v"}'::jsonb),
             ('buyer4@retailco0.com', 'contacted', 'qualified', '{}'::jsonb)$$,
    'status ''new'' and qualification ''pending'' count as empty; a set status is not overwritten; metadata merged'
);
create temp table leads_before as select count(*)::integer as n from public.leads;
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000022","role":"authenticated"}';
create temp table upsert_r2 as
select r.* from upsert_batch
cross join lateral upsert_leads(records, '33333333-3333-4333-8333-000000000004', 'import') as r;
reset role;
reset "request.jwt.claims";
select results_eq(
    'select inserted, updated, unchanged, rejected from upsert_r2',
    $$values (0, 0, 5, 6)$$,
    'replaying the batch inserts and updates nothing'
);
select is(
    (select count(*)::integer from public.leads), (select n from leads_before),
    'replay creates no lead'
);
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000022","role":"authenticated"}';
select throws_ok(
    $$select upsert_leads('[{"email": "intruder@t.io"}]', null, 'import', null, null,
        '11111111-1111-4111-8111-111111111111')$$,
    '42501', null, 'upserting into another agency is refused by RLS'
);
select throws_ok(
    $$select upsert_leads('{"email": "a@b.io"}')$$, '22023', null,
    'records must be a JSON array (22023)'
);
reset role;
reset "request.jwt.claims";

-- Job control (users) ------------------------------------------------------------------------------
insert into public.scraping_jobs (id, agency_id, data_source_id, created_by, max_attempts) values
(
    '99999999-9999-4999-8999-000000000001', '11111111-1111-4111-8111-111111111111',
    '44444444-4444-4444-8444-000000000001', '00000000-0000-4000-8000-000000000012', 3
),
(
    '99999999-9999-4999-8999-000000000002', '11111111-1111-4111-8111-111111111111',
    '44444444-4444-4444-8444-000000000001', '00000000-0000-4000-8000-000000000012', 3
),
(
    '99999999-9999-4999-8999-000000000003', '11111111-1111-4111-8111-111111111111',
    '44444444-4444-4444-8444-000000000001', '00000000-0000-4000-8000-000000000012', 3
);

set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select throws_ok(
    $$select pause_job('99999999-9999-4999-8999-000000000001')$$, 'PT409', null,
    'pausing a pending job raises PT409'
);
select throws_ok(
    $$update public.scraping_jobs set status = 'running' where id = '99999999-9999-4999-8999-000000000001'$$,
    'PT409', null, 'a user may not set a job running directly'
);
select
    is(
        (start_job('99999999-9999-4999-8999-000000000001')).run_after,
        now(),
        'start_job queues the job (run_after = now)'
    );
select throws_ok(
    $$select start_job('99999999-9999-4999-8999-000000000001')$$, 'PT409', null,
    'starting a job twice raises PT409'
);
select throws_ok(
    $$select resume_job('99999999-9999-4999-8999-000000000002')$$, 'PT409', null,
    'resuming a pending (never paused) job raises PT409'
);
select is(
    (cancel_job('99999999-9999-4999-8999-000000000003')).status::text, 'cancelled',
    'a pending job can be cancelled'
);
select throws_ok(
    $$select start_job('99999999-9999-4999-8999-000000000003')$$, 'PT409', null,
    'a cancelled job cannot be started'
);
select throws_ok(
    $$select cancel_job('99999999-9999-4999-8999-000000000003')$$, 'PT409', null,
    'cancelling a cancelled job raises PT409'
);
select throws_ok(
    $$update public.scraping_jobs set run_after = now() - interval '1 day'
      where id = '99999999-9999-4999-8999-000000000001'$$,
    'PT409', null, 'a user may not reschedule a started job through run_after'
);
select throws_ok(
    $$select resume_job('99999999-9999-4999-8999-000000000003')$$, 'PT409', null,
    'a cancelled job cannot be resumed'
);
reset role;
reset "request.jwt.claims";
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000022","role":"authenticated"}';
select throws_ok(
    $$select start_job('99999999-9999-4999-8999-000000000002')$$, 'P0002', null,
    'another agency''s job is not found (P0002)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select throws_ok(
    $$select cancel_job('99999999-9999-4999-8999-000000000002')$$, 'P0002', null,
    'a client cannot see jobs (P0002)'
);
reset role;
reset "request.jwt.claims";

-- Worker protocol -----------------------------------------------------------------------------------
set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select is(
    (select id from claim_next_job('w1', 60)), '99999999-9999-4999-8999-000000000001'::uuid,
    'claim_next_job claims the started job'
);
select is_empty(
    $$select * from claim_next_job('w2', 60)$$,
    'an unstarted job is not claimed'
);
select results_eq(
    $$select status::text, worker_id, attempts, lease_expires_at = now() + interval '60 seconds', started_at = now()
      from public.scraping_jobs where id = '99999999-9999-4999-8999-000000000001'$$,
    $$values ('running', 'w1', 1, true, true)$$,
    'the claimed job is running, leased to w1, attempt 1'
);
select is(
    heartbeat_job('99999999-9999-4999-8999-000000000001', 'w1', 120)::text, 'running',
    'heartbeat by the owner returns running'
);
select is(
    (
        select lease_expires_at from public.scraping_jobs
        where id = '99999999-9999-4999-8999-000000000001'
    ),
    now() + interval '120 seconds', 'heartbeat extends the lease'
);
select throws_ok(
    $$select heartbeat_job('99999999-9999-4999-8999-000000000001', 'w2')$$, 'PT409', null,
    'heartbeat by a non-owner raises PT409'
);
select throws_ok(
    $$select checkpoint_job('99999999-9999-4999-8999-000000000001', 'w2', '{"page": 9}', 90, 9, 9, 0)$$,
    'PT409', null, 'checkpoint by a non-owner raises PT409'
);
select is(
    checkpoint_job(
        '99999999-9999-4999-8999-000000000001', 'w1', '{"page": 2}', 40, 20, 15, 3
    )::text,
    'running', 'checkpoint by the owner'
);
select results_eq(
    $$select checkpoint, progress, records_processed, records_qualified, records_rejected
      from public.scraping_jobs where id = '99999999-9999-4999-8999-000000000001'$$,
    $$values ('{"page": 2}'::jsonb, 40, 20, 15, 3)$$,
    'checkpoint stores cursor, progress and counters'
);
reset role;
reset "request.jwt.claims";

-- User transitions on a running job.
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select throws_ok(
    $$select resume_job('99999999-9999-4999-8999-000000000001')$$, 'PT409', null,
    'resuming a running job raises PT409'
);
select throws_ok(
    $$update public.scraping_jobs set status = 'completed' where id = '99999999-9999-4999-8999-000000000001'$$,
    'PT409', null, 'a researcher may not set status completed directly'
);
select throws_ok(
    $$update public.scraping_jobs set status = 'failed' where id = '99999999-9999-4999-8999-000000000001'$$,
    'PT409', null, 'a researcher may not set status failed directly'
);
select
    is(
        (pause_job('99999999-9999-4999-8999-000000000001')).status::text,
        'paused',
        'a running job can be paused'
    );
select throws_ok(
    $$select pause_job('99999999-9999-4999-8999-000000000001')$$, 'PT409', null,
    'pausing a paused job raises PT409'
);
select throws_ok(
    $$select start_job('99999999-9999-4999-8999-000000000001')$$, 'PT409', null,
    'a paused job cannot be started'
);
reset role;
reset "request.jwt.claims";
set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select is(
    heartbeat_job('99999999-9999-4999-8999-000000000001', 'w1')::text, 'paused',
    'the worker learns of the pause through its heartbeat'
);
select is(
    (release_job('99999999-9999-4999-8999-000000000001', 'w1')).worker_id, null,
    'the worker acknowledges the pause by releasing the job'
);
reset role;
reset "request.jwt.claims";
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select results_eq(
    $$select status::text, attempts, run_after = now(), checkpoint
      from resume_job('99999999-9999-4999-8999-000000000001')$$,
    $$values ('pending', 0, true, '{"page": 2}'::jsonb)$$,
    'resume: pending again, attempts reset, checkpoint kept'
);
reset role;
reset "request.jwt.claims";
set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select is(
    (select checkpoint from claim_next_job('w3')), '{"page": 2}'::jsonb,
    'the resumed job is claimed again with its checkpoint'
);
select is(
    (
        complete_job('99999999-9999-4999-8999-000000000001', 'w3', 'https://files.test/r.csv')
    ).status::text,
    'completed', 'complete_job completes the job'
);
select results_eq(
    $$select progress, result_file_url, worker_id, completed_at = now() from public.scraping_jobs
      where id = '99999999-9999-4999-8999-000000000001'$$,
    $$values (100, 'https://files.test/r.csv', null::text, true)$$,
    'completed job: progress 100, result stored, lease dropped'
);
select throws_ok(
    $$select complete_job('99999999-9999-4999-8999-000000000001', 'w3')$$, 'PT409', null,
    'completing an already completed job raises PT409 (lease gone)'
);
reset role;
reset "request.jwt.claims";
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select throws_ok(
    $$select cancel_job('99999999-9999-4999-8999-000000000001')$$, 'PT409', null,
    'a completed job cannot be cancelled'
);
select throws_ok(
    $$select pause_job('99999999-9999-4999-8999-000000000001')$$, 'PT409', null,
    'a completed job cannot be paused'
);
select throws_ok(
    $$select claim_next_job('w-user')$$, '42501', null,
    'authenticated may not call claim_next_job'
);
select throws_ok(
    $$select heartbeat_job('99999999-9999-4999-8999-000000000002', 'w-user')$$, '42501', null,
    'authenticated may not call heartbeat_job'
);
select throws_ok(
    $$select complete_job('99999999-9999-4999-8999-000000000002', 'w-user')$$, '42501', null,
    'authenticated may not call complete_job'
);
-- Job 2: started, then claimed by w-a whose lease lapses.
select lives_ok($$select start_job('99999999-9999-4999-8999-000000000002')$$, 'job 2 started');
reset role;
reset "request.jwt.claims";
set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select is((select worker_id from claim_next_job('w-a')), 'w-a', 'w-a claims job 2');
reset role;
reset "request.jwt.claims";
update public.scraping_jobs set lease_expires_at = now() - interval '1 minute'
where id = '99999999-9999-4999-8999-000000000002';
set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select results_eq(
    $$select id, worker_id, attempts from claim_next_job('w-b')$$,
    $$values ('99999999-9999-4999-8999-000000000002'::uuid, 'w-b', 2)$$,
    'an expired lease is reclaimed by another worker; attempts incremented'
);
select results_eq(
    $$select level::text, details ->> 'previous_worker_id', (details ->> 'attempts')::integer
      from public.scraping_job_logs
      where job_id = '99999999-9999-4999-8999-000000000002' and message = 'job reclaimed after lease expiry'$$,
    $$values ('warning', 'w-a', 2)$$,
    'the reclaim is logged as a warning'
);
select throws_ok(
    $$select checkpoint_job('99999999-9999-4999-8999-000000000002', 'w-a', '{}', 1, 1, 0, 0)$$,
    'PT409', null, 'the worker that lost its lease cannot checkpoint'
);
-- Retryable failure: back to pending with backoff.
select results_eq(
    $$select status::text, run_after > now(), worker_id, error_count from
      fail_job('99999999-9999-4999-8999-000000000002', 'w-b', 'rate limited', true)$$,
    $$values ('pending', true, null::text, 1)$$,
    'a retryable failure re-queues the job with run_after in the future'
);
select is_empty($$select * from claim_next_job('w-c')$$, 'a job in backoff is not claimable');
reset role;
reset "request.jwt.claims";
-- Exhausted attempts: lease lapses on the last attempt -> failed.
update public.scraping_jobs
set run_after = now() - interval '1 second', max_attempts = 3
where id = '99999999-9999-4999-8999-000000000002';
set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select is((select attempts from claim_next_job('w-c')), 3, 'third attempt claimed');
reset role;
reset "request.jwt.claims";
update public.scraping_jobs set lease_expires_at = now() - interval '1 minute'
where id = '99999999-9999-4999-8999-000000000002';
set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select
    is_empty($$select * from claim_next_job('w-d')$$, 'an exhausted job is not handed out again');
select results_eq(
    $$select status::text, error_count, errors -> -1 ->> 'message' from public.scraping_jobs
      where id = '99999999-9999-4999-8999-000000000002'$$,
    $$values ('failed', 2, 'lease expired and max_attempts reached')$$,
    'exhausted attempts fail the job'
);
reset role;
reset "request.jwt.claims";
select ok(
    exists (
        select 1 from public.notifications
        where
            related_entity_id = '99999999-9999-4999-8999-000000000002' and type = 'error'
            and user_id = '00000000-0000-4000-8000-000000000012'
    ),
    'the creator is notified of the failure'
);
-- Non-retryable failure and release.
insert into public.scraping_jobs (id, agency_id, data_source_id, run_after) values
(
    '99999999-9999-4999-8999-000000000004', '22222222-2222-4222-8222-222222222222',
    '44444444-4444-4444-8444-000000000002', now()
);
set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select
    is(
        (select id from claim_next_job('w-e')),
        '99999999-9999-4999-8999-000000000004'::uuid,
        'job 4 claimed'
    );
select results_eq(
    $$select status::text, attempts, worker_id from release_job('99999999-9999-4999-8999-000000000004', 'w-e')$$,
    $$values ('pending', 0, null::text)$$,
    'release_job gives the job back without counting the attempt'
);
select
    is(
        (select id from claim_next_job('w-f')),
        '99999999-9999-4999-8999-000000000004'::uuid,
        'job 4 claimed again'
    );
select is(
    (fail_job('99999999-9999-4999-8999-000000000004', 'w-f', 'bad credentials')).status::text,
    'failed',
    'a non-retryable failure fails the job'
);
select
    throws_ok(
        $$select claim_next_job('w-g', 1)$$,
        '22023',
        null,
        'lease_seconds out of range raises 22023'
    );
select throws_ok($$select claim_next_job('  ')$$, '22023', null, 'a blank worker_id raises 22023');
reset role;
reset "request.jwt.claims";

select * from finish();
rollback;
