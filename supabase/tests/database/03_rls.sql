-- Row level security and privileges (rules at the top of migration 002 and in
-- 003 / 004): policies, visible rows per role, allowed and refused writes,
-- column privileges, and agency isolation. Uses the seeded users:
--   super_admin 00..01; Demo Agency (1111..) admin 00..11, researcher 00..12,
--   client 00..13 (member of "Q1 SaaS CTOs"); Acme Growth (2222..) admin 00..21,
--   researcher 00..22, client 00..23 (member of "US Retail Ops").
begin;
create extension if not exists pgtap with schema extensions;

select plan(133);
-- Apply campaign counter deltas at each statement, not at commit (never reached here).
set constraints all immediate;

-- Policies ----------------------------------------------------------------------------------
select
    policies_are(
        'public',
        'agencies',
        array['agencies_select', 'agencies_insert', 'agencies_update', 'agencies_delete'],
        'policies of agencies'
    );
select
    policies_are(
        'public',
        'user_profiles',
        array[
            'user_profiles_select',
            'user_profiles_insert',
            'user_profiles_update',
            'user_profiles_delete'
        ],
        'policies of user_profiles'
    );
select
    policies_are(
        'public',
        'campaigns',
        array[
            'campaigns_select', 'campaigns_select_client_scope', 'campaigns_insert',
            'campaigns_update', 'campaigns_delete'
        ],
        'policies of campaigns'
    );
select
    policies_are(
        'public',
        'campaign_members',
        array['campaign_members_select', 'campaign_members_insert', 'campaign_members_delete'],
        'policies of campaign_members'
    );
select
    policies_are(
        'public',
        'leads',
        array[
            'leads_select', 'leads_select_client_scope', 'leads_insert', 'leads_update',
            'leads_delete'
        ],
        'policies of leads'
    );
select policies_are('public', 'audit_log', array['audit_log_select'], 'policies of audit_log');
select
    policies_are(
        'public',
        'data_sources',
        array[
            'data_sources_select',
            'data_sources_insert',
            'data_sources_update',
            'data_sources_delete'
        ],
        'policies of data_sources'
    );
select
    policies_are(
        'public',
        'scraping_jobs',
        array[
            'scraping_jobs_select',
            'scraping_jobs_insert',
            'scraping_jobs_update',
            'scraping_jobs_delete'
        ],
        'policies of scraping_jobs'
    );
select
    policies_are(
        'public',
        'scraping_job_logs',
        array['scraping_job_logs_select'],
        'policies of scraping_job_logs'
    );
select
    policies_are(
        'public',
        'notifications',
        array['notifications_select', 'notifications_update', 'notifications_delete'],
        'policies of notifications'
    );
select is_empty(
    $$select policyname from pg_policies where schemaname = 'public' and tablename = 'analytics_cache'$$,
    'analytics_cache has no policy (no API role reads it)'
);
select is_empty(
    $$select tablename || '.' || policyname from pg_policies
      where schemaname = 'public' and roles <> '{authenticated}'::name[]$$,
    'every policy applies to authenticated only (anon gets nothing)'
);
select results_eq(
    $$select format('%s.%s:%s', tablename, policyname, cmd) collate "default" from pg_policies
      where schemaname = 'public' and permissive <> 'PERMISSIVE' order by 1$$,
    $$values ('campaigns.campaigns_select_client_scope:SELECT'),
             ('leads.leads_select_client_scope:SELECT')$$,
    'the only restrictive policies narrow what clients read'
);

-- Fixtures: one job per agency (each writes a "job created" log line) and a few
-- notifications.
insert into public.scraping_jobs (id, agency_id, data_source_id, created_by) values
(
    'aaaaaaaa-aaaa-4aaa-8aaa-000000000001', '11111111-1111-4111-8111-111111111111',
    '44444444-4444-4444-8444-000000000001', '00000000-0000-4000-8000-000000000012'
),
(
    'aaaaaaaa-aaaa-4aaa-8aaa-000000000002', '22222222-2222-4222-8222-222222222222',
    '44444444-4444-4444-8444-000000000002', '00000000-0000-4000-8000-000000000022'
);
insert into public.notifications (id, user_id, agency_id, title) values
(
    'bbbbbbbb-bbbb-4bbb-8bbb-000000000011', '00000000-0000-4000-8000-000000000011',
    '11111111-1111-4111-8111-111111111111', 'for demo admin'
),
(
    'bbbbbbbb-bbbb-4bbb-8bbb-000000000013', '00000000-0000-4000-8000-000000000013',
    '11111111-1111-4111-8111-111111111111', 'for demo client'
),
(
    'bbbbbbbb-bbbb-4bbb-8bbb-000000000022', '00000000-0000-4000-8000-000000000022',
    '22222222-2222-4222-8222-222222222222', 'for acme researcher'
);
update public.data_sources
set credentials = '{"v": 1, "kid": "k1", "nonce": "bm9uY2U=", "ciphertext": "c2VjcmV0"}'
where id = '44444444-4444-4444-8444-000000000001';

-- Visible rows per role -------------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated"}';
select results_eq(
    $$select (select count(*) from public.agencies)::integer,
       (select count(*) from public.user_profiles)::integer,
       (select count(*) from public.campaigns)::integer,
       (select count(*) from public.campaign_members)::integer,
       (select count(*) from public.leads)::integer,
       (select count(*) from public.data_sources)::integer,
       (select count(*) from public.scraping_jobs)::integer,
       (select count(*) from public.scraping_job_logs)::integer,
       (select count(*) from public.notifications)::integer$$,
    $$values (2, 7, 4, 2, 80, 2, 2, 2, 0)$$,
    'super: visible rows of agencies, user_profiles, campaigns, campaign_members, leads, data_sources, scraping_jobs, scraping_job_logs, notifications'
);
select throws_ok(
    'select count(*) from public.analytics_cache', '42501', null,
    'super: analytics_cache is unreadable'
);
reset role;
reset "request.jwt.claims";
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
select results_eq(
    $$select (select count(*) from public.agencies)::integer,
       (select count(*) from public.user_profiles)::integer,
       (select count(*) from public.campaigns)::integer,
       (select count(*) from public.campaign_members)::integer,
       (select count(*) from public.leads)::integer,
       (select count(*) from public.data_sources)::integer,
       (select count(*) from public.scraping_jobs)::integer,
       (select count(*) from public.scraping_job_logs)::integer,
       (select count(*) from public.notifications)::integer$$,
    $$values (1, 3, 3, 1, 60, 1, 1, 1, 1)$$,
    'demo_admin: visible rows of agencies, user_profiles, campaigns, campaign_members, leads, data_sources, scraping_jobs, scraping_job_logs, notifications'
);
select throws_ok(
    'select count(*) from public.analytics_cache', '42501', null,
    'demo_admin: analytics_cache is unreadable'
);
reset role;
reset "request.jwt.claims";
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select results_eq(
    $$select (select count(*) from public.agencies)::integer,
       (select count(*) from public.user_profiles)::integer,
       (select count(*) from public.campaigns)::integer,
       (select count(*) from public.campaign_members)::integer,
       (select count(*) from public.leads)::integer,
       (select count(*) from public.data_sources)::integer,
       (select count(*) from public.scraping_jobs)::integer,
       (select count(*) from public.scraping_job_logs)::integer,
       (select count(*) from public.notifications)::integer$$,
    $$values (1, 3, 3, 1, 60, 1, 1, 1, 0)$$,
    'demo_researcher: visible rows of agencies, user_profiles, campaigns, campaign_members, leads, data_sources, scraping_jobs, scraping_job_logs, notifications'
);
select throws_ok(
    'select count(*) from public.analytics_cache', '42501', null,
    'demo_researcher: analytics_cache is unreadable'
);
reset role;
reset "request.jwt.claims";
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select results_eq(
    $$select (select count(*) from public.agencies)::integer,
       (select count(*) from public.user_profiles)::integer,
       (select count(*) from public.campaigns)::integer,
       (select count(*) from public.campaign_members)::integer,
       (select count(*) from public.leads)::integer,
       (select count(*) from public.data_sources)::integer,
       (select count(*) from public.scraping_jobs)::integer,
       (select count(*) from public.scraping_job_logs)::integer,
       (select count(*) from public.notifications)::integer$$,
    $$values (1, 1, 1, 1, 20, 0, 0, 0, 1)$$,
    'demo_client: visible rows of agencies, user_profiles, campaigns, campaign_members, leads, data_sources, scraping_jobs, scraping_job_logs, notifications'
);
select throws_ok(
    'select count(*) from public.analytics_cache', '42501', null,
    'demo_client: analytics_cache is unreadable'
);
reset role;
reset "request.jwt.claims";
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000021","role":"authenticated"}';
select results_eq(
    $$select (select count(*) from public.agencies)::integer,
       (select count(*) from public.user_profiles)::integer,
       (select count(*) from public.campaigns)::integer,
       (select count(*) from public.campaign_members)::integer,
       (select count(*) from public.leads)::integer,
       (select count(*) from public.data_sources)::integer,
       (select count(*) from public.scraping_jobs)::integer,
       (select count(*) from public.scraping_job_logs)::integer,
       (select count(*) from public.notifications)::integer$$,
    $$values (1, 3, 1, 1, 20, 1, 1, 1, 0)$$,
    'acme_admin: visible rows of agencies, user_profiles, campaigns, campaign_members, leads, data_sources, scraping_jobs, scraping_job_logs, notifications'
);
select throws_ok(
    'select count(*) from public.analytics_cache', '42501', null,
    'acme_admin: analytics_cache is unreadable'
);
reset role;
reset "request.jwt.claims";
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000022","role":"authenticated"}';
select results_eq(
    $$select (select count(*) from public.agencies)::integer,
       (select count(*) from public.user_profiles)::integer,
       (select count(*) from public.campaigns)::integer,
       (select count(*) from public.campaign_members)::integer,
       (select count(*) from public.leads)::integer,
       (select count(*) from public.data_sources)::integer,
       (select count(*) from public.scraping_jobs)::integer,
       (select count(*) from public.scraping_job_logs)::integer,
       (select count(*) from public.notifications)::integer$$,
    $$values (1, 3, 1, 1, 20, 1, 1, 1, 1)$$,
    'acme_researcher: visible rows of agencies, user_profiles, campaigns, campaign_members, leads, data_sources, scraping_jobs, scraping_job_logs, notifications'
);
select throws_ok(
    'select count(*) from public.analytics_cache', '42501', null,
    'acme_researcher: analytics_cache is unreadable'
);
reset role;
reset "request.jwt.claims";
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000023","role":"authenticated"}';
select results_eq(
    $$select (select count(*) from public.agencies)::integer,
       (select count(*) from public.user_profiles)::integer,
       (select count(*) from public.campaigns)::integer,
       (select count(*) from public.campaign_members)::integer,
       (select count(*) from public.leads)::integer,
       (select count(*) from public.data_sources)::integer,
       (select count(*) from public.scraping_jobs)::integer,
       (select count(*) from public.scraping_job_logs)::integer,
       (select count(*) from public.notifications)::integer$$,
    $$values (1, 1, 1, 1, 20, 0, 0, 0, 0)$$,
    'acme_client: visible rows of agencies, user_profiles, campaigns, campaign_members, leads, data_sources, scraping_jobs, scraping_job_logs, notifications'
);
select throws_ok(
    'select count(*) from public.analytics_cache', '42501', null,
    'acme_client: analytics_cache is unreadable'
);
reset role;
reset "request.jwt.claims";
set local role anon;
select
    throws_ok('select count(*) from public.agencies', '42501', null, 'anon cannot read agencies');
select
    throws_ok(
        'select count(*) from public.user_profiles', '42501', null, 'anon cannot read user_profiles'
    );
select
    throws_ok('select count(*) from public.campaigns', '42501', null, 'anon cannot read campaigns');
select
    throws_ok(
        'select count(*) from public.campaign_members',
        '42501',
        null,
        'anon cannot read campaign_members'
    );
select throws_ok('select count(*) from public.leads', '42501', null, 'anon cannot read leads');
select
    throws_ok(
        'select count(*) from public.data_sources', '42501', null, 'anon cannot read data_sources'
    );
select
    throws_ok(
        'select count(*) from public.scraping_jobs', '42501', null, 'anon cannot read scraping_jobs'
    );
select
    throws_ok(
        'select count(*) from public.scraping_job_logs',
        '42501',
        null,
        'anon cannot read scraping_job_logs'
    );
select
    throws_ok(
        'select count(*) from public.notifications', '42501', null, 'anon cannot read notifications'
    );
select
    throws_ok('select count(*) from public.audit_log', '42501', null, 'anon cannot read audit_log');
select
    throws_ok(
        'select count(*) from public.analytics_cache',
        '42501',
        null,
        'anon cannot read analytics_cache'
    );
select
    throws_ok(
        'select count(*) from public.campaign_performance_view',
        '42501',
        null,
        'anon cannot read campaign_performance_view'
    );
select
    throws_ok(
        'select count(*) from public.lead_pipeline_view',
        '42501',
        null,
        'anon cannot read lead_pipeline_view'
    );
reset role;
reset "request.jwt.claims";

-- Views and cross-agency reads -------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select results_eq(
    'select campaign_id from public.campaign_performance_view',
    $$values ('33333333-3333-4333-8333-000000000001'::uuid)$$,
    'client: campaign_performance_view shows only the member campaign (security_invoker)'
);
select results_eq(
    'select distinct campaign_id from public.lead_pipeline_view',
    $$values ('33333333-3333-4333-8333-000000000001'::uuid)$$,
    'client: lead_pipeline_view covers only the member campaign''s leads'
);
select is_empty(
    $$select 1 from public.user_profiles where id <> '00000000-0000-4000-8000-000000000013'$$,
    'client: sees no other profile'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000021","role":"authenticated"}';
select is_empty(
    $$select 1 from public.leads where agency_id = '11111111-1111-4111-8111-111111111111'
      union all select 1 from public.campaigns where agency_id = '11111111-1111-4111-8111-111111111111'
      union all select 1 from public.user_profiles where agency_id = '11111111-1111-4111-8111-111111111111'
      union all select 1 from public.data_sources where agency_id = '11111111-1111-4111-8111-111111111111'
      union all select 1 from public.campaign_performance_view where agency_id = '11111111-1111-4111-8111-111111111111'$$,
    'acme admin: nothing of Demo Agency is visible'
);
select ok(
    (
        select count(*) > 0 and bool_and(agency_id = '22222222-2222-4222-8222-222222222222')
        from public.audit_log
    ),
    'acme admin: reads only their own agency''s audit log'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select is_empty('select 1 from public.audit_log', 'researcher: reads no audit log');
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated"}';
select is(
    (
        select count(*)::integer from public.audit_log
        where agency_id is not null
    ),
    (
        select count(distinct id)::integer from public.audit_log
        where agency_id is not null
    ),
    'super admin: reads audit rows of every agency'
);
reset role;
reset "request.jwt.claims";
select is(
    (
        select count(*)::integer from public.audit_log
        where agency_id is not null
    ),
    (
        select count(*)::integer from public.audit_log
        where agency_id in (
            '11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'
        )
    ),
    'audit rows carry the agency they belong to'
);

-- Data source credentials ----------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select throws_ok(
    'select credentials from public.data_sources', '42501', null,
    'researcher: selecting credentials raises 42501'
);
select throws_ok(
    'select * from public.data_sources', '42501', null,
    'researcher: select * (includes credentials) raises 42501'
);
select results_eq(
    'select name, has_credentials from public.data_sources',
    $$values ('Conference attendee CSV', true)$$,
    'researcher: reads the data source (has_credentials, never the ciphertext)'
);
select throws_ok(
    $$insert into public.data_sources (name, type) values ('researcher source', 'csv')$$,
    '42501', null, 'researcher: cannot create a data source'
);
select lives_ok(
    $$update public.data_sources set name = 'renamed by researcher'$$,
    'researcher: update of data sources runs (and matches nothing)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
select throws_ok(
    'select credentials from public.data_sources', '42501', null,
    'agency admin: credentials are write-only too'
);
select lives_ok(
    $$insert into public.data_sources (id, name, type, credentials) values
      ('cccccccc-cccc-4ccc-8ccc-000000000001', 'Admin source', 'apollo',
       '{"v": 1, "kid": "k1", "nonce": "bg==", "ciphertext": "Yw=="}')$$,
    'agency admin: creates a data source with encrypted credentials (agency defaulted)'
);
select throws_ok(
    $$insert into public.data_sources (agency_id, name, type) values
      ('22222222-2222-4222-8222-222222222222', 'Planted', 'csv')$$,
    '42501', null, 'agency admin: cannot create a data source in another agency'
);
select throws_ok(
    $$update public.data_sources set total_jobs = 99$$,
    '42501', null, 'agency admin: data source counters are not writable'
);
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select name, agency_id from public.data_sources order by name$$,
    $$values ('Admin source', '11111111-1111-4111-8111-111111111111'::uuid),
             ('Apollo people search', '22222222-2222-4222-8222-222222222222'::uuid),
             ('Conference attendee CSV', '11111111-1111-4111-8111-111111111111'::uuid)$$,
    'data sources after the writes: researcher''s rename had no effect, admin''s insert landed'
);

-- Campaigns ------------------------------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select throws_ok(
    $$insert into public.campaigns (name) values ('researcher campaign')$$, '42501', null,
    'researcher: cannot create a campaign'
);
select lives_ok(
    $$update public.campaigns set name = 'hacked' where id = '33333333-3333-4333-8333-000000000001'$$,
    'researcher: campaign update runs (and matches nothing)'
);
select lives_ok(
    $$delete from public.campaigns where id = '33333333-3333-4333-8333-000000000002'$$,
    'researcher: campaign delete runs (and matches nothing)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select throws_ok(
    $$insert into public.campaigns (name) values ('client campaign')$$, '42501', null,
    'client: cannot create a campaign'
);
select lives_ok(
    $$update public.campaigns set status = 'archived' where id = '33333333-3333-4333-8333-000000000001'$$,
    'client: update of their member campaign runs (and matches nothing)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000021","role":"authenticated"}';
select lives_ok(
    $$update public.campaigns set name = 'stolen' where agency_id = '11111111-1111-4111-8111-111111111111'$$,
    'acme admin: update of Demo campaigns runs (and matches nothing)'
);
select lives_ok(
    $$delete from public.campaigns where agency_id = '11111111-1111-4111-8111-111111111111'$$,
    'acme admin: delete of Demo campaigns runs (and matches nothing)'
);
select throws_ok(
    $$insert into public.campaigns (agency_id, name) values ('11111111-1111-4111-8111-111111111111', 'planted')$$,
    '42501', null, 'acme admin: cannot create a campaign in Demo Agency'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
select lives_ok(
    $$insert into public.campaigns (id, name) values ('cccccccc-cccc-4ccc-8ccc-000000000002', 'Admin campaign')$$,
    'demo admin: creates a campaign (agency and creator defaulted)'
);
select lives_ok(
    $$update public.campaigns set status = 'completed' where id = '33333333-3333-4333-8333-000000000003'$$,
    'demo admin: updates a campaign'
);
select throws_ok(
    $$update public.campaigns set leads_count = 1000 where id = '33333333-3333-4333-8333-000000000003'$$,
    '42501', null, 'demo admin: counters are not writable'
);
select throws_ok(
    $$update public.campaigns set agency_id = '22222222-2222-4222-8222-222222222222'
      where id = '33333333-3333-4333-8333-000000000003'$$,
    '42501', null, 'demo admin: cannot move a campaign to another agency'
);
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select id::text, name, status::text, agency_id, created_by from public.campaigns
      where agency_id = '11111111-1111-4111-8111-111111111111' order by id$$,
    $$values
      ('33333333-3333-4333-8333-000000000001', 'Q1 SaaS CTOs', 'active',
       '11111111-1111-4111-8111-111111111111'::uuid, '00000000-0000-4000-8000-000000000011'::uuid),
      ('33333333-3333-4333-8333-000000000002', 'Fintech Founders', 'draft',
       '11111111-1111-4111-8111-111111111111'::uuid, '00000000-0000-4000-8000-000000000011'::uuid),
      ('33333333-3333-4333-8333-000000000003', 'EU Healthcare IT', 'completed',
       '11111111-1111-4111-8111-111111111111'::uuid, '00000000-0000-4000-8000-000000000011'::uuid),
      ('cccccccc-cccc-4ccc-8ccc-000000000002', 'Admin campaign', 'draft',
       '11111111-1111-4111-8111-111111111111'::uuid, '00000000-0000-4000-8000-000000000011'::uuid)$$,
    'Demo campaigns: only the admin''s writes took effect'
);

-- Campaign members ----------------------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select throws_ok(
    $$insert into public.campaign_members (campaign_id, user_id, agency_id) values
      ('33333333-3333-4333-8333-000000000002', '00000000-0000-4000-8000-000000000013',
       '11111111-1111-4111-8111-111111111111')$$,
    '42501', null, 'researcher: cannot grant campaign access'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select throws_ok(
    $$insert into public.campaign_members (campaign_id, user_id, agency_id) values
      ('33333333-3333-4333-8333-000000000002', '00000000-0000-4000-8000-000000000013',
       '11111111-1111-4111-8111-111111111111')$$,
    '42501', null, 'client: cannot grant themselves campaign access'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
select lives_ok(
    $$insert into public.campaign_members (campaign_id, user_id, agency_id) values
      ('33333333-3333-4333-8333-000000000002', '00000000-0000-4000-8000-000000000013',
       '11111111-1111-4111-8111-111111111111')$$,
    'demo admin: grants a client access to a campaign'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select is(
    (select count(*)::integer from public.leads), 40,
    'client: now sees the leads of both member campaigns'
);
reset role;
reset "request.jwt.claims";

-- Leads ---------------------------------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select lives_ok(
    $$insert into public.leads (id, campaign_id, email) values
      ('dddddddd-dddd-4ddd-8ddd-000000000001', '33333333-3333-4333-8333-000000000001', 'rls.lead@t.io')$$,
    'researcher: creates a lead (agency defaulted)'
);
select lives_ok(
    $$update public.leads set priority = 'urgent' where id = 'dddddddd-dddd-4ddd-8ddd-000000000001'$$,
    'researcher: updates a lead'
);
select lives_ok(
    $$delete from public.leads where id = 'dddddddd-dddd-4ddd-8ddd-000000000001'$$,
    'researcher: lead delete runs (and matches nothing)'
);
select throws_ok(
    $$insert into public.leads (agency_id, email) values ('22222222-2222-4222-8222-222222222222', 'planted@t.io')$$,
    '42501', null, 'researcher: cannot create a lead in another agency'
);
select throws_ok(
    $$update public.leads set agency_id = '22222222-2222-4222-8222-222222222222', campaign_id = null
      where id = 'dddddddd-dddd-4ddd-8ddd-000000000001'$$,
    '42501', null, 'researcher: cannot move a lead to another agency'
);
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select priority::text, created_by, agency_id from public.leads where id = 'dddddddd-dddd-4ddd-8ddd-000000000001'$$,
    $$values ('urgent', '00000000-0000-4000-8000-000000000012'::uuid, '11111111-1111-4111-8111-111111111111'::uuid)$$,
    'the researcher''s lead exists, updated, created_by defaulted to them'
);
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select throws_ok(
    $$insert into public.leads (campaign_id, email) values ('33333333-3333-4333-8333-000000000001', 'client@t.io')$$,
    '42501', null, 'client: cannot create leads'
);
select lives_ok(
    $$update public.leads set status = 'converted' where campaign_id = '33333333-3333-4333-8333-000000000001'$$,
    'client: update of visible leads runs (and matches nothing)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000022","role":"authenticated"}';
select lives_ok(
    $$update public.leads set status = 'disqualified' where agency_id = '11111111-1111-4111-8111-111111111111'$$,
    'acme researcher: update of Demo leads runs (and matches nothing)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000021","role":"authenticated"}';
select lives_ok(
    $$delete from public.leads where agency_id = '11111111-1111-4111-8111-111111111111'$$,
    'acme admin: delete of Demo leads runs (and matches nothing)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
select lives_ok(
    $$delete from public.leads where id = 'dddddddd-dddd-4ddd-8ddd-000000000001'$$,
    'demo admin: deletes a lead'
);
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select count(*)::integer,
             (count(*) filter (where status in ('converted', 'disqualified')
                               and qualification_status = 'pending'))::integer,
             (count(*) filter (where id = 'dddddddd-dddd-4ddd-8ddd-000000000001'))::integer
      from public.leads where agency_id = '11111111-1111-4111-8111-111111111111'$$,
    $$values (60, 0, 0)$$,
    'Demo leads: only the admin''s delete took effect (client / other agency writes had none)'
);
select is(
    (
        select count(*)::integer from public.leads
        where campaign_id = '33333333-3333-4333-8333-000000000001' and status = 'converted'
    ),
    2, 'the client''s bulk status change changed nothing'
);

-- Jobs and logs ---------------------------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select lives_ok(
    $$insert into public.scraping_jobs (id, data_source_id, search_criteria) values
      ('aaaaaaaa-aaaa-4aaa-8aaa-000000000003', '44444444-4444-4444-8444-000000000001', '{"q": "cto"}')$$,
    'researcher: creates a job'
);
select throws_ok(
    $$update public.scraping_jobs set records_processed = 10 where id = 'aaaaaaaa-aaaa-4aaa-8aaa-000000000003'$$,
    '42501', null, 'researcher: worker-maintained columns are not writable'
);
select throws_ok(
    $$insert into public.scraping_jobs (data_source_id) values ('44444444-4444-4444-8444-000000000002')$$,
    '23503', null, 'researcher: a job cannot use another agency''s data source'
);
select lives_ok(
    $$delete from public.scraping_jobs where id = 'aaaaaaaa-aaaa-4aaa-8aaa-000000000003'$$,
    'researcher: job delete runs (and matches nothing)'
);
select throws_ok(
    $$insert into public.scraping_job_logs (job_id, message) values ('aaaaaaaa-aaaa-4aaa-8aaa-000000000003', 'forged')$$,
    '42501', null, 'researcher: cannot write job logs'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select throws_ok(
    $$insert into public.scraping_jobs (data_source_id) values ('44444444-4444-4444-8444-000000000001')$$,
    '42501', null, 'client: cannot create jobs'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000022","role":"authenticated"}';
select lives_ok(
    $$update public.scraping_jobs set status = 'cancelled' where id = 'aaaaaaaa-aaaa-4aaa-8aaa-000000000003'$$,
    'acme researcher: cancelling a Demo job runs (and matches nothing)'
);
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select status::text, created_by, agency_id from public.scraping_jobs where id = 'aaaaaaaa-aaaa-4aaa-8aaa-000000000003'$$,
    $$values ('pending', '00000000-0000-4000-8000-000000000012'::uuid, '11111111-1111-4111-8111-111111111111'::uuid)$$,
    'the researcher''s job survives the researcher''s delete and the other agency''s cancel'
);
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
select lives_ok(
    $$delete from public.scraping_jobs where id = 'aaaaaaaa-aaaa-4aaa-8aaa-000000000003'$$,
    'demo admin: deletes a job'
);
reset role;
reset "request.jwt.claims";
select is_empty(
    $$select 1 from public.scraping_jobs where id = 'aaaaaaaa-aaaa-4aaa-8aaa-000000000003'$$,
    'the admin''s job delete took effect'
);

-- Notifications ---------------------------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select results_eq(
    'select id from public.notifications',
    $$values ('bbbbbbbb-bbbb-4bbb-8bbb-000000000013'::uuid)$$,
    'client: sees only their own notification'
);
select
    lives_ok($$update public.notifications set read = true$$, 'client: marks notifications read');
select throws_ok(
    $$update public.notifications set title = 'changed'$$, '42501', null,
    'client: only the read flag is writable'
);
select throws_ok(
    $$insert into public.notifications (user_id, title) values ('00000000-0000-4000-8000-000000000011', 'spoof')$$,
    '42501', null, 'client: cannot create notifications'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated"}';
select lives_ok($$delete from public.notifications$$, 'super admin: notification delete runs');
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select id::text, read from public.notifications order by id$$,
    $$values ('bbbbbbbb-bbbb-4bbb-8bbb-000000000011', false), ('bbbbbbbb-bbbb-4bbb-8bbb-000000000013', true),
             ('bbbbbbbb-bbbb-4bbb-8bbb-000000000022', false)$$,
    'only the client''s own notification was marked read; nobody deleted others'' notifications'
);

-- Profiles: role and agency changes ----------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000012","role":"authenticated"}';
select lives_ok(
    $$update public.user_profiles set settings = '{"theme": "dark"}' where id = auth.uid()$$,
    'researcher: updates their own settings'
);
select throws_ok(
    $$update public.user_profiles set role = 'agency_admin' where id = auth.uid()$$,
    '42501', null, 'researcher: cannot promote themselves'
);
select throws_ok(
    $$update public.user_profiles set role = 'super_admin' where id = auth.uid()$$,
    '42501', null, 'researcher: cannot make themselves super_admin'
);
select throws_ok(
    $$update public.user_profiles set email = 'x@y.io' where id = auth.uid()$$,
    '42501', null, 'researcher: email is not writable (it follows auth.users)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select throws_ok(
    $$update public.user_profiles set agency_id = '22222222-2222-4222-8222-222222222222' where id = auth.uid()$$,
    '42501', null, 'client: cannot move themselves to another agency'
);
select throws_ok(
    $$update public.user_profiles set role = 'super_admin' where id = auth.uid()$$,
    '42501', null, 'client: cannot make themselves super_admin'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
select throws_ok(
    $$update public.user_profiles set role = 'super_admin' where id = auth.uid()$$,
    '42501', null, 'agency admin: cannot make themselves super_admin'
);
select throws_ok(
    $$update public.user_profiles set role = 'super_admin' where id = '00000000-0000-4000-8000-000000000012'$$,
    '42501', null, 'agency admin: cannot grant super_admin'
);
select throws_ok(
    $$update public.user_profiles set agency_id = '22222222-2222-4222-8222-222222222222'
      where id = '00000000-0000-4000-8000-000000000012'$$,
    '42501', null, 'agency admin: cannot move a user to another agency'
);
select lives_ok(
    $$update public.user_profiles set role = 'client' where id = '00000000-0000-4000-8000-000000000012'$$,
    'agency admin: changes the role of a user of their agency'
);
select lives_ok(
    $$delete from public.user_profiles where id = auth.uid()$$,
    'agency admin: deleting their own profile runs (and matches nothing)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000021","role":"authenticated"}';
select lives_ok(
    $$update public.user_profiles set role = 'agency_admin' where id = '00000000-0000-4000-8000-000000000013'$$,
    'acme admin: update of a Demo profile runs (and matches nothing)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated"}';
select lives_ok(
    $$update public.user_profiles set role = 'super_admin', agency_id = null
      where id = '00000000-0000-4000-8000-000000000022'$$,
    'super admin: grants super_admin'
);
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select id::text, role::text, agency_id, settings from public.user_profiles
      where id in ('00000000-0000-4000-8000-000000000011', '00000000-0000-4000-8000-000000000012',
                   '00000000-0000-4000-8000-000000000013', '00000000-0000-4000-8000-000000000022')
      order by id$$,
    $$values
      ('00000000-0000-4000-8000-000000000011', 'agency_admin', '11111111-1111-4111-8111-111111111111'::uuid, '{}'::jsonb),
      ('00000000-0000-4000-8000-000000000012', 'client', '11111111-1111-4111-8111-111111111111'::uuid, '{"theme": "dark"}'::jsonb),
      ('00000000-0000-4000-8000-000000000013', 'client', '11111111-1111-4111-8111-111111111111'::uuid, '{}'::jsonb),
      ('00000000-0000-4000-8000-000000000022', 'super_admin', null::uuid, '{}'::jsonb)$$,
    'profiles after the attempts: only the admin''s and super admin''s changes took effect'
);
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000021","role":"authenticated"}';
select throws_ok(
    $$insert into public.user_profiles (id, agency_id, role) values
      ('00000000-0000-4000-8000-000000000013', '22222222-2222-4222-8222-222222222222', 'researcher')$$,
    '23505', null, 'acme admin: cannot re-create an existing user in their agency'
);
reset role;
reset "request.jwt.claims";

-- Agencies -----------------------------------------------------------------------------------------------
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
select throws_ok(
    $$insert into public.agencies (name) values ('Rogue Agency')$$, '42501', null,
    'agency admin: cannot create agencies'
);
select
    lives_ok(
        $$update public.agencies set name = 'Demo Agency Ltd'$$,
        'agency admin: renames their agency'
    );
select
    lives_ok(
        $$delete from public.agencies$$, 'agency admin: agency delete runs (and matches nothing)'
    );
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000023","role":"authenticated"}';
select lives_ok(
    $$update public.agencies set name = 'Renamed by client'$$,
    'client: agency update runs (and matches nothing)'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated"}';
select lives_ok(
    $$insert into public.agencies (id, name) values ('eeeeeeee-eeee-4eee-8eee-000000000001', 'New Agency')$$,
    'super admin: creates an agency'
);
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select name from public.agencies order by name$$,
    $$values ('Acme Growth'), ('Demo Agency Ltd'), ('New Agency')$$,
    'agencies: the admin renamed only their own; nobody else''s writes took effect'
);

-- service_role bypasses RLS but still cannot touch the audit log -------------------------------------------
set local role service_role;
set local "request.jwt.claims" to '{"role":"service_role"}';
select is((select count(*)::integer from public.leads), 80, 'service_role: sees every lead');
select lives_ok('select credentials from public.data_sources', 'service_role: reads credentials');
select throws_ok(
    $$insert into public.audit_log (table_name, action, actor_role, changes) values ('x', 'insert', 'x', '{}')$$,
    '42501', null, 'service_role: cannot write the audit log directly'
);
reset role;
reset "request.jwt.claims";
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated"}';
select throws_ok(
    $$insert into public.audit_log (table_name, action, actor_role, changes) values ('x', 'insert', 'x', '{}')$$,
    '42501', null, 'super admin: cannot write the audit log directly'
);
reset role;
reset "request.jwt.claims";

-- The API surface of functions: nothing for anon; users get the user-facing ones, never the
-- worker protocol or the maintenance functions.
select is_empty(
    $$select p.proname from pg_proc as p join pg_namespace as n on p.pronamespace = n.oid
      where n.nspname = 'public' and has_function_privilege('anon', p.oid, 'execute')$$,
    'anon may execute no public function'
);
select results_eq(
    $$select p.proname::text collate "default" from pg_proc as p join pg_namespace as n on p.pronamespace = n.oid
      where n.nspname = 'public' and has_function_privilege('authenticated', p.oid, 'execute')
      order by 1$$,
    $$values ('bulk_update_lead_status'), ('calculate_lead_score'), ('cancel_job'),
             ('get_agency_overview'), ('get_analytics_overview'), ('get_campaign_analytics'),
             ('get_campaign_performance'), ('get_lead_analytics'), ('get_top_campaigns'),
             ('pause_job'), ('record_data_source_test'), ('record_lead_contact'),
             ('resume_job'), ('start_job'), ('upsert_leads')$$,
    'authenticated may execute exactly the user-facing functions'
);

-- caller_agency_ids(roles): the helper every agency-scoped policy stands on. Fresh users, as
-- the tests above change the seeded ones' roles.
insert into auth.users (id, email, raw_app_meta_data) values
(
    'abababab-0000-4000-8000-000000000001', 'ids.super@t.io', '{"role": "super_admin"}'
),
(
    'abababab-0000-4000-8000-000000000002', 'ids.researcher@t.io',
    '{"role": "researcher", "agency_id": "11111111-1111-4111-8111-111111111111"}'
),
(
    'abababab-0000-4000-8000-000000000003', 'ids.client@t.io',
    '{"role": "client", "agency_id": "11111111-1111-4111-8111-111111111111"}'
);
create temporary table agency_ids_seen (who text, roles text, ids uuid[]);
grant insert on agency_ids_seen to authenticated;
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"abababab-0000-4000-8000-000000000001","role":"authenticated"}';
insert into agency_ids_seen (who, roles, ids)
select 'super' as who, 'admin' as roles, private.caller_agency_ids('{agency_admin}') as ids;
set local "request.jwt.claims" to '{"sub":"abababab-0000-4000-8000-000000000002","role":"authenticated"}';
insert into agency_ids_seen (who, roles, ids)
select 'researcher' as who, 'staff' as roles, private.caller_agency_ids('{agency_admin,researcher}') as ids
union all
select 'researcher' as who, 'admin' as roles, private.caller_agency_ids('{agency_admin}') as ids;
set local "request.jwt.claims" to '{"sub":"abababab-0000-4000-8000-000000000003","role":"authenticated"}';
insert into agency_ids_seen (who, roles, ids)
select
    'client' as who,
    'readers' as roles,
    private.caller_agency_ids('{agency_admin,researcher,client}') as ids
union all
select 'client' as who, 'staff' as roles, private.caller_agency_ids('{agency_admin,researcher}') as ids;
set local "request.jwt.claims" to '{"role":"authenticated"}';
insert into agency_ids_seen (who, roles, ids)
select 'no profile' as who, 'readers' as roles, private.caller_agency_ids('{client}') as ids;
reset role;
reset "request.jwt.claims";
select results_eq(
    $$select who, roles, array(select x from unnest(ids) as x order by x) from agency_ids_seen
      where who <> 'no profile' order by who, roles$$,
    $$values
        ('client', 'readers', array['11111111-1111-4111-8111-111111111111']::uuid[]),
        ('client', 'staff', '{}'::uuid[]),
        ('researcher', 'admin', '{}'::uuid[]),
        ('researcher', 'staff', array['11111111-1111-4111-8111-111111111111']::uuid[]),
        ('super', 'admin', (select array_agg(id order by id) from public.agencies))$$,
    'caller_agency_ids: own agency when the role is listed, every agency for a super admin'
);
select is_empty(
    $$select 1 from agency_ids_seen where who = 'no profile' and ids is not null$$,
    'caller_agency_ids: nothing for a caller without a profile'
);

select * from finish();
rollback;
