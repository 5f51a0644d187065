-- Triggers: existence (names of migrations 001-005) and behaviour: campaign
-- counters, data source metrics, cache invalidation, updated_at, lead
-- normalisation, profile provisioning, the audit log and job notifications.
-- pg_notify payloads are not checked here (no LISTEN in pgTAP; pytest covers them).
begin;
create extension if not exists pgtap with schema extensions;

select plan(103);

-- Existence ---------------------------------------------------------------------------
select has_trigger('public', v.tbl, v.trg, format('trigger %s on %s', v.trg, v.tbl))
from (
    values
    ('leads', 'update_campaign_metrics_insert'), ('leads', 'update_campaign_metrics_update'),
    ('leads', 'update_campaign_metrics_delete'), ('leads', 'normalize_lead_insert'),
    ('leads', 'normalize_lead_update'),
    ('scraping_jobs', 'update_data_source_metrics'),
    ('campaigns', 'invalidate_analytics_cache_insert'),
    ('campaigns', 'invalidate_analytics_cache_update'),
    ('campaigns', 'invalidate_analytics_cache_delete'),
    ('leads', 'invalidate_analytics_cache_insert'), ('leads', 'invalidate_analytics_cache_update'),
    ('leads', 'invalidate_analytics_cache_delete'),
    ('data_sources', 'invalidate_analytics_cache_insert'),
    ('data_sources', 'invalidate_analytics_cache_update'),
    ('data_sources', 'invalidate_analytics_cache_delete'),
    ('scraping_jobs', 'invalidate_analytics_cache_insert'),
    ('scraping_jobs', 'invalidate_analytics_cache_update'),
    ('scraping_jobs', 'invalidate_analytics_cache_delete'),
    ('scraping_jobs', 'notify_job_status_change'), ('notifications', 'notify_new_notification'),
    ('campaigns', 'notify_campaign_metrics_update'), ('scraping_jobs', 'notify_job_creator'),
    ('scraping_jobs', 'enforce_job_lifecycle'), ('scraping_jobs', 'log_job_lifecycle'),
    ('user_profiles', 'guard_profile_privileges'),
    ('agencies', 'set_updated_at'), ('user_profiles', 'set_updated_at'),
    ('campaigns', 'set_updated_at'), ('data_sources', 'set_updated_at'),
    ('audit_log', 'audit_log_append_only')
) as v (tbl, trg);
select
    has_trigger(
        'auth', 'users', 'on_auth_user_created', 'trigger on_auth_user_created on auth.users'
    );
select
    has_trigger(
        'private', 'campaign_metric_deltas', 'apply_campaign_metric_deltas',
        'deferred trigger applying campaign counter deltas'
    );
select has_trigger('public', t, trg, format('trigger %s on %s', trg, t))
from
    unnest(array[
        'agencies', 'user_profiles', 'campaigns', 'campaign_members', 'leads', 'data_sources',
        'scraping_jobs'
    ]) as t
cross join unnest(array['audit_insert', 'audit_update', 'audit_delete']) as trg;
select trigger_is(
    'public', 'leads', 'update_campaign_metrics_insert', 'private', 'update_campaign_metrics',
    'leads counters trigger runs private.update_campaign_metrics()'
);
select trigger_is(
    'public', 'scraping_jobs', 'enforce_job_lifecycle', 'private', 'enforce_job_lifecycle',
    'scraping_jobs lifecycle trigger runs private.enforce_job_lifecycle()'
);

-- Campaign counters ---------------------------------------------------------------------
-- Campaigns whose counters differ from the documented predicates over their leads.
create temp view counter_mismatch as
select c.id
from public.campaigns as c
cross join
    lateral (
        select
            count(*)::integer as n,
            (count(*) filter (where l.qualification_status = 'qualified'))::integer as q,
            (count(*) filter (where l.last_contacted_at is not null))::integer as ct,
            (count(*) filter (where l.last_responded_at is not null))::integer as r
        from public.leads as l
        where l.campaign_id = c.id
    ) as t
where
    (c.leads_count, c.qualified_leads_count, c.contacted_count, c.responded_count)
    is distinct from (t.n, t.q, t.ct, t.r);

create temp table counters_before as
select
    id,
    leads_count,
    qualified_leads_count,
    contacted_count,
    responded_count
from public.campaigns;

select is_empty('select * from counter_mismatch', 'seeded campaign counters equal the lead counts');

insert into public.leads (agency_id, campaign_id, email, status) values
(
    '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000002',
    'cnt.new@t.io',
    'new'
),
(
    '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000002',
    'cnt.contacted@t.io',
    'contacted'
),
(
    '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000002',
    'cnt.responded@t.io',
    'responded'
),
(
    '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000002',
    'cnt.qualified@t.io',
    'qualified'
);

-- Counters are applied by a deferred trigger: at commit, or here on demand.
select results_eq(
    $$select c.leads_count - b.leads_count, c.qualified_leads_count - b.qualified_leads_count,
             c.contacted_count - b.contacted_count, c.responded_count - b.responded_count
      from public.campaigns as c join counters_before as b using (id)
      where c.id = '33333333-3333-4333-8333-000000000002'$$,
    $$values (0, 0, 0, 0)$$,
    'counter deltas wait for commit (deferred constraint trigger)'
);
select ok(
    exists (select 1 from private.campaign_metric_deltas),
    'the insert queued its campaign deltas'
);
set constraints all immediate;
select is_empty(
    'select 1 from private.campaign_metric_deltas',
    'applying the deltas consumes the queue'
);

select results_eq(
    $$select c.leads_count - b.leads_count, c.qualified_leads_count - b.qualified_leads_count,
             c.contacted_count - b.contacted_count, c.responded_count - b.responded_count
      from public.campaigns as c join counters_before as b using (id)
      where c.id = '33333333-3333-4333-8333-000000000002'$$,
    $$values (4, 1, 3, 1)$$,
    'multi-row insert: +4 leads, +1 qualified, +3 contacted, +1 responded'
);
select is_empty('select * from counter_mismatch', 'counters match the counts after inserts');

update public.leads set status = 'contacted'
where email = 'cnt.new@t.io';
select is(
    (
        select contacted_count from public.campaigns
        where id = '33333333-3333-4333-8333-000000000002'
    ),
    (
        select contacted_count + 4 from counters_before
        where id = '33333333-3333-4333-8333-000000000002'
    ),
    'status -> contacted increments contacted_count'
);
update public.leads set status = 'responded'
where email = 'cnt.new@t.io';
select is(
    (
        select responded_count from public.campaigns
        where id = '33333333-3333-4333-8333-000000000002'
    ),
    (
        select responded_count + 2 from counters_before
        where id = '33333333-3333-4333-8333-000000000002'
    ),
    'status -> responded increments responded_count'
);
update public.leads set qualification_status = 'qualified'
where email = 'cnt.contacted@t.io';
select is(
    (
        select qualified_leads_count from public.campaigns
        where id = '33333333-3333-4333-8333-000000000002'
    ),
    (
        select qualified_leads_count + 2 from counters_before
        where id = '33333333-3333-4333-8333-000000000002'
    ),
    'qualification -> qualified increments qualified_leads_count'
);
select is_empty('select * from counter_mismatch', 'counters match the counts after status updates');

-- Move a lead between campaigns.
update public.leads set campaign_id = '33333333-3333-4333-8333-000000000003'
where email = 'cnt.responded@t.io';
select results_eq(
    $$select c.id::text, c.leads_count - b.leads_count, c.responded_count - b.responded_count
      from public.campaigns as c join counters_before as b using (id)
      where c.id in ('33333333-3333-4333-8333-000000000002', '33333333-3333-4333-8333-000000000003')
      order by c.id$$,
    $$values ('33333333-3333-4333-8333-000000000002', 3, 1),
             ('33333333-3333-4333-8333-000000000003', 1, 1)$$,
    'moving a lead moves its counts from the old campaign to the new one'
);
update public.leads set campaign_id = null
where email = 'cnt.qualified@t.io';
select
    is_empty(
        'select * from counter_mismatch',
        'counters match after moving leads (incl. out of any campaign)'
    );

-- One statement touching several campaigns.
update public.leads set status = 'converted'
where agency_id = '11111111-1111-4111-8111-111111111111' and status = 'new';
select
    is_empty('select * from counter_mismatch', 'counters match after a multi-campaign bulk update');

delete from public.leads
where email in ('cnt.new@t.io', 'cnt.contacted@t.io', 'cnt.responded@t.io');
select is_empty('select * from counter_mismatch', 'counters match after deletes');
delete from public.leads
where campaign_id = '33333333-3333-4333-8333-000000000001';
select results_eq(
    $$select leads_count, qualified_leads_count, contacted_count, responded_count
      from public.campaigns where id = '33333333-3333-4333-8333-000000000001'$$,
    $$values (0, 0, 0, 0)$$,
    'deleting all of a campaign''s leads brings its counters to 0'
);

-- A researcher cannot update campaigns, but the counters follow their writes.
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
insert into public.leads (campaign_id, email, status)
values ('33333333-3333-4333-8333-000000000003', 'by.researcher@t.io', 'contacted');
reset role;
reset "request.jwt.claims";
select
    is_empty(
        'select * from counter_mismatch',
        'counters follow a researcher''s insert (SECURITY DEFINER trigger)'
    );

-- updated_at -------------------------------------------------------------------------------
select ok(
    (
        select updated_at < now() from public.campaigns
        where id = '33333333-3333-4333-8333-000000000004'
    ),
    'seeded campaign updated_at predates this transaction'
);
update public.campaigns set description = 'bumped'
where id = '33333333-3333-4333-8333-000000000004';
select is(
    (
        select updated_at from public.campaigns
        where id = '33333333-3333-4333-8333-000000000004'
    ),
    now(), 'updating a campaign bumps updated_at'
);
update public.leads set title = 'Chief Buyer'
where email = 'buyer1@retailco1.com';
select is(
    (
        select updated_at from public.leads
        where email = 'buyer1@retailco1.com'
    ),
    now(), 'updating a lead bumps updated_at'
);
update public.data_sources set description = 'bumped'
where id = '44444444-4444-4444-8444-000000000002';
select is(
    (
        select updated_at from public.data_sources
        where id = '44444444-4444-4444-8444-000000000002'
    ),
    now(), 'updating a data source bumps updated_at'
);
update public.agencies set settings = '{"timezone": "UTC"}'
where id = '22222222-2222-4222-8222-222222222222';
select is(
    (
        select updated_at from public.agencies
        where id = '22222222-2222-4222-8222-222222222222'
    ),
    now(), 'updating an agency bumps updated_at'
);

-- Lead normalisation -------------------------------------------------------------------------
insert into public.leads (agency_id, email, linkedin_url, first_name, status)
values (
    '22222222-2222-4222-8222-222222222222', '  Jane.DOE@Example.COM ',
    'http://uk.linkedin.com/in/Jane-Doe-42/?trk=abc#top', '  Jane  ', 'qualified'
);
select results_eq(
    $$select email, linkedin_url, first_name from public.leads
      where agency_id = '22222222-2222-4222-8222-222222222222' and email = 'jane.doe@example.com'$$,
    $$values ('jane.doe@example.com', 'https://www.linkedin.com/in/jane-doe-42', 'Jane')$$,
    'email lower-cased and trimmed, LinkedIn URL canonical, names trimmed'
);
select ok(
    (select
        qualification_status = 'qualified' and qualified_at is not null
        and last_contacted_at is not null
    from public.leads
    where email = 'jane.doe@example.com'),
    'status qualified stamps qualification_status, qualified_at and last_contacted_at'
);
update public.leads set linkedin_url = 'linkedin.com/company/Acme-Inc/'
where email = 'jane.doe@example.com';
select is(
    (
        select linkedin_url from public.leads
        where email = 'jane.doe@example.com'
    ),
    'https://www.linkedin.com/company/acme-inc',
    'LinkedIn company URL without scheme normalised on update'
);
select throws_ok(
    $$insert into public.leads (agency_id, email) values ('22222222-2222-4222-8222-222222222222', 'JANE.doe@example.com ')$$,
    '23505', null, 'a differently-cased duplicate email is the same lead (unique violation)'
);

-- Analytics cache invalidation ------------------------------------------------------------------
insert into public.analytics_cache (cache_key, cache_value, agency_id, expires_at) values
('test:demo', '{}', '11111111-1111-4111-8111-111111111111', now() + interval '1 hour'),
('test:acme', '{}', '22222222-2222-4222-8222-222222222222', now() + interval '1 hour'),
('test:global', '{}', null, now() + interval '1 hour');
insert into public.leads (agency_id, email) values (
    '11111111-1111-4111-8111-111111111111', 'cache.buster@t.io'
);
select results_eq(
    $$select cache_key from public.analytics_cache where cache_key like 'test:%' order by cache_key$$,
    $$values ('test:acme')$$,
    'a lead insert drops its agency''s (and global) cache rows, not other agencies'''
);
insert into public.analytics_cache (cache_key, cache_value, agency_id, expires_at) values
('test:demo', '{}', '11111111-1111-4111-8111-111111111111', now() + interval '1 hour');
update public.scraping_jobs set config = '{}'
where false;
update public.campaigns set description = 'x'
where id = '33333333-3333-4333-8333-000000000004';
select results_eq(
    $$select cache_key from public.analytics_cache where cache_key like 'test:%' order by cache_key$$,
    $$values ('test:demo')$$,
    'a campaign update drops only that agency''s cache rows'
);

-- Data source metrics ----------------------------------------------------------------------------
create temp view ds_mismatch as
select d.id
from public.data_sources as d
cross join
    lateral (
        select
            count(*)::integer as n,
            (count(*) filter (where j.status = 'completed'))::integer as ok,
            (count(*) filter (where j.status = 'failed'))::integer as ko,
            coalesce(sum(j.records_processed), 0)::integer as recs
        from public.scraping_jobs as j
        where j.data_source_id = d.id
    ) as t
where
    (d.total_jobs, d.successful_jobs, d.failed_jobs, d.total_records_scraped)
    is distinct from (t.n, t.ok, t.ko, t.recs);

insert into public.scraping_jobs (id, agency_id, data_source_id, created_by) values
(
    '55555555-5555-4555-8555-000000000001', '11111111-1111-4111-8111-111111111111',
    '44444444-4444-4444-8444-000000000001', '00000000-0000-4000-8000-000000000012'
),
(
    '55555555-5555-4555-8555-000000000002', '11111111-1111-4111-8111-111111111111',
    '44444444-4444-4444-8444-000000000001', '00000000-0000-4000-8000-000000000012'
);
select is(
    (
        select total_jobs from public.data_sources
        where id = '44444444-4444-4444-8444-000000000001'
    ),
    2, 'job inserts increment total_jobs'
);
update public.scraping_jobs set
    status = 'running', worker_id = 'w1', lease_expires_at = now() + interval '1 minute'
where id in ('55555555-5555-4555-8555-000000000001', '55555555-5555-4555-8555-000000000002');
update public.scraping_jobs set records_processed = 40, records_qualified = 30, records_rejected = 5
where id = '55555555-5555-4555-8555-000000000001';
update public.scraping_jobs set status = 'completed'
where id = '55555555-5555-4555-8555-000000000001';
update public.scraping_jobs set records_processed = 7, status = 'failed'
where id = '55555555-5555-4555-8555-000000000002';
select results_eq(
    $$select total_jobs, successful_jobs, failed_jobs, total_records_scraped
      from public.data_sources where id = '44444444-4444-4444-8444-000000000001'$$,
    $$values (2, 1, 1, 47)$$,
    'completed / failed jobs and records are counted on the data source'
);
select is_empty('select * from ds_mismatch', 'data source metrics equal the job counts');
delete from public.scraping_jobs
where id = '55555555-5555-4555-8555-000000000002';
select results_eq(
    $$select total_jobs, successful_jobs, failed_jobs, total_records_scraped
      from public.data_sources where id = '44444444-4444-4444-8444-000000000001'$$,
    $$values (1, 1, 0, 40)$$,
    'deleting a job takes it out of the data source metrics'
);

-- Job lifecycle stamps and notifications ----------------------------------------------------------
select ok(
    (select
        status = 'completed' and progress = 100 and completed_at is not null
        and started_at is not null and worker_id is null and lease_expires_at is null
    from public.scraping_jobs
    where id = '55555555-5555-4555-8555-000000000001'),
    'completing a job stamps completed_at, progress 100 and drops the lease'
);
select results_eq(
    $$select user_id, type::text, related_entity_type, agency_id from public.notifications
      where related_entity_id = '55555555-5555-4555-8555-000000000001'$$,
    $$values ('00000000-0000-4000-8000-000000000012'::uuid, 'success', 'scraping_job',
              '11111111-1111-4111-8111-111111111111'::uuid)$$,
    'a completed job notifies its creator (success)'
);
select ok(
    (
        select message like '40 records processed, 30 qualified, 5 rejected%'
        from public.notifications
        where related_entity_id = '55555555-5555-4555-8555-000000000001'
    ),
    'the completion notification reports the job''s counters'
);
insert into public.scraping_jobs (id, agency_id, data_source_id, created_by) values
(
    '55555555-5555-4555-8555-000000000003', '11111111-1111-4111-8111-111111111111',
    '44444444-4444-4444-8444-000000000001', '00000000-0000-4000-8000-000000000011'
);
update public.scraping_jobs set
    status = 'running', worker_id = 'w1', lease_expires_at = now() + interval '1 minute'
where id = '55555555-5555-4555-8555-000000000003';
update public.scraping_jobs set status = 'failed', errors = '[{"message": "boom"}]'
where id = '55555555-5555-4555-8555-000000000003';
select results_eq(
    $$select user_id, type::text from public.notifications
      where related_entity_id = '55555555-5555-4555-8555-000000000003'$$,
    $$values ('00000000-0000-4000-8000-000000000011'::uuid, 'error')$$,
    'a failed job notifies its creator (error)'
);
select set_eq(
    $$select level::text, message from public.scraping_job_logs
      where job_id = '55555555-5555-4555-8555-000000000003'$$,
    $$values ('info', 'job created'), ('info', 'job running'), ('error', 'job failed')$$,
    'lifecycle lines are written to the job log'
);

-- Profiles from auth.users --------------------------------------------------------------------------
insert into auth.users (id, email, raw_app_meta_data) values
(
    '00000000-0000-4000-8000-0000000000a1', 'new.researcher@acme.test',
    '{"agency_id": "22222222-2222-4222-8222-222222222222", "role": "researcher"}'
),
('00000000-0000-4000-8000-0000000000a2', 'walk.in@nowhere.test', '{}');
select results_eq(
    $$select email, agency_id, role::text from public.user_profiles
      where id = '00000000-0000-4000-8000-0000000000a1'$$,
    $$values ('new.researcher@acme.test', '22222222-2222-4222-8222-222222222222'::uuid, 'researcher')$$,
    'a new auth user gets a profile with agency and role from raw_app_meta_data'
);
select results_eq(
    $$select agency_id, role::text from public.user_profiles
      where id = '00000000-0000-4000-8000-0000000000a2'$$,
    $$values (null::uuid, 'client')$$,
    'without app metadata the new profile is a client of no agency'
);
insert into auth.users (id, email, raw_app_meta_data, raw_user_meta_data) values
('00000000-0000-4000-8000-0000000000a3', 'sneaky@nowhere.test', '{}', '{"role": "super_admin"}');
select is(
    (
        select role::text from public.user_profiles
        where id = '00000000-0000-4000-8000-0000000000a3'
    ),
    'client', 'raw_user_meta_data (user-controlled) is never trusted for the role'
);
update auth.users set email = 'renamed@acme.test'
where id = '00000000-0000-4000-8000-0000000000a1';
select is(
    (
        select email from public.user_profiles
        where id = '00000000-0000-4000-8000-0000000000a1'
    ),
    'renamed@acme.test', 'an auth email change is copied to the profile'
);

-- Audit log --------------------------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
update public.campaigns set name = 'Fintech Founders II'
where id = '33333333-3333-4333-8333-000000000002';
insert into public.leads (id, campaign_id, email)
values (
    '66666666-6666-4666-8666-000000000001', '33333333-3333-4333-8333-000000000002', 'audited@t.io'
);
delete from public.leads
where id = '66666666-6666-4666-8666-000000000001';
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select action::text, actor_id, actor_role, agency_id, changes from public.audit_log
      where table_name = 'campaigns' and row_id = '33333333-3333-4333-8333-000000000002'
        and action = 'update' and created_at = now()$$,
    $$values ('update', '00000000-0000-4000-8000-000000000011'::uuid, 'authenticated',
              '11111111-1111-4111-8111-111111111111'::uuid,
              '{"name": {"old": "Fintech Founders", "new": "Fintech Founders II"}}'::jsonb)$$,
    'a campaign update is audited with actor = auth.uid() and changes old -> new'
);
select results_eq(
    $$select action::text, actor_id from public.audit_log
      where table_name = 'leads' and row_id = '66666666-6666-4666-8666-000000000001'
      order by id$$,
    $$values ('insert', '00000000-0000-4000-8000-000000000011'::uuid),
             ('delete', '00000000-0000-4000-8000-000000000011'::uuid)$$,
    'lead insert and delete are audited with the acting user'
);
select is(
    (
        select changes from public.audit_log
        where row_id = '66666666-6666-4666-8666-000000000001' and action = 'insert'
    ),
    '{}'::jsonb,
    'an insert is recorded without a payload (the row and later diffs hold the values)'
);
select ok(
    (
        select changes -> 'email' = '{"old": "audited@t.io", "new": null}'::jsonb
        from public.audit_log
        where row_id = '66666666-6666-4666-8666-000000000001' and action = 'delete'
    ),
    'a delete''s changes hold the old values with new null'
);
update public.data_sources set
    credentials = '{"v": 1, "kid": "k1", "nonce": "bm9uY2U=", "ciphertext": "c2VjcmV0"}'
where id = '44444444-4444-4444-8444-000000000001';
select is(
    (
        select changes -> 'credentials' from public.audit_log
        where
            table_name = 'data_sources' and row_id = '44444444-4444-4444-8444-000000000001'
            and action = 'update'
        order by id desc
        limit 1
    ),
    '{"old": "[redacted]", "new": "[redacted]"}'::jsonb,
    'credentials changes are audited redacted'
);
select throws_ok(
    'update public.audit_log set actor_role = ''x''', '42501', null,
    'audit_log UPDATE raises 42501 even for postgres'
);
select throws_ok(
    'delete from public.audit_log', '42501', null,
    'audit_log DELETE raises 42501 even for postgres'
);
select throws_ok(
    'truncate public.audit_log', '42501', null,
    'audit_log TRUNCATE raises 42501 even for postgres'
);

select * from finish();
rollback;
