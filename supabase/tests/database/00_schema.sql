-- Schema shape: tables, columns and types, enums, constraints, keys, indexes,
-- RLS, views and the Realtime publication (spec "Database Schema", migrations 001-006).
begin;
create extension if not exists pgtap with schema extensions;

select plan(257);

-- Tables -----------------------------------------------------------------------
select has_table('public', t, format('table public.%s exists', t))
from unnest(array[
    'agencies', 'user_profiles', 'campaigns', 'campaign_members', 'leads', 'data_sources',
    'scraping_jobs', 'scraping_job_logs', 'notifications', 'analytics_cache', 'audit_log'
]) as t;

-- Every column of the spec with its type (col_type_is fails if the column is missing).
select col_type_is('public', v.tbl, v.col, v.typ, format('%s.%s is %s', v.tbl, v.col, v.typ))
from (
    values
    ('agencies', 'id', 'uuid'), ('agencies', 'name', 'text'), ('agencies', 'settings', 'jsonb'),
    ('agencies', 'created_at', 'timestamp with time zone'),
    ('agencies', 'updated_at', 'timestamp with time zone'),

    ('user_profiles', 'id', 'uuid'), ('user_profiles', 'email', 'text'),
    ('user_profiles', 'agency_id', 'uuid'), ('user_profiles', 'role', 'user_role'),
    ('user_profiles', 'settings', 'jsonb'),
    ('user_profiles', 'created_at', 'timestamp with time zone'),

    ('campaigns', 'id', 'uuid'), ('campaigns', 'agency_id', 'uuid'), ('campaigns', 'name', 'text'),
    ('campaigns', 'description', 'text'), ('campaigns', 'status', 'campaign_status'),
    ('campaigns', 'start_date', 'date'), ('campaigns', 'end_date', 'date'),
    ('campaigns', 'target_audience', 'jsonb'), ('campaigns', 'leads_count', 'integer'),
    ('campaigns', 'qualified_leads_count', 'integer'), ('campaigns', 'contacted_count', 'integer'),
    ('campaigns', 'responded_count', 'integer'), ('campaigns', 'created_by', 'uuid'),
    ('campaigns', 'created_at', 'timestamp with time zone'),
    ('campaigns', 'updated_at', 'timestamp with time zone'),

    ('leads', 'id', 'uuid'), ('leads', 'agency_id', 'uuid'), ('leads', 'campaign_id', 'uuid'),
    ('leads', 'email', 'text'), ('leads', 'first_name', 'text'), ('leads', 'last_name', 'text'),
    ('leads', 'company', 'text'), ('leads', 'title', 'text'), ('leads', 'linkedin_url', 'text'),
    ('leads', 'phone', 'text'), ('leads', 'source', 'text'), ('leads', 'status', 'lead_status'),
    ('leads', 'qualification_status', 'qualification_status'),
    ('leads', 'qualification_reason', 'text'), ('leads', 'priority', 'lead_priority'),
    ('leads', 'last_contacted_at', 'timestamp with time zone'),
    ('leads', 'last_responded_at', 'timestamp with time zone'),
    ('leads', 'qualified_at', 'timestamp with time zone'), ('leads', 'metadata', 'jsonb'),
    ('leads', 'created_by', 'uuid'), ('leads', 'assigned_to', 'uuid'),
    ('leads', 'created_at', 'timestamp with time zone'),
    ('leads', 'updated_at', 'timestamp with time zone'),

    ('data_sources', 'id', 'uuid'), ('data_sources', 'agency_id', 'uuid'),
    ('data_sources', 'name', 'text'), ('data_sources', 'type', 'data_source_type'),
    ('data_sources', 'status', 'data_source_status'), ('data_sources', 'config', 'jsonb'),
    ('data_sources', 'credentials', 'jsonb'),
    ('data_sources', 'last_test_at', 'timestamp with time zone'),
    ('data_sources', 'last_test_status', 'text'), ('data_sources', 'last_test_error', 'text'),
    ('data_sources', 'total_jobs', 'integer'), ('data_sources', 'successful_jobs', 'integer'),
    ('data_sources', 'failed_jobs', 'integer'),
    ('data_sources', 'total_records_scraped', 'integer'),
    ('data_sources', 'description', 'text'), ('data_sources', 'created_by', 'uuid'),
    ('data_sources', 'created_at', 'timestamp with time zone'),
    ('data_sources', 'updated_at', 'timestamp with time zone'),

    ('scraping_jobs', 'id', 'uuid'), ('scraping_jobs', 'agency_id', 'uuid'),
    ('scraping_jobs', 'data_source_id', 'uuid'), ('scraping_jobs', 'campaign_id', 'uuid'),
    ('scraping_jobs', 'status', 'job_status'), ('scraping_jobs', 'progress', 'integer'),
    ('scraping_jobs', 'records_processed', 'integer'),
    ('scraping_jobs', 'records_qualified', 'integer'),
    ('scraping_jobs', 'records_rejected', 'integer'), ('scraping_jobs', 'config', 'jsonb'),
    ('scraping_jobs', 'search_criteria', 'jsonb'), ('scraping_jobs', 'result_file_url', 'text'),
    ('scraping_jobs', 'raw_data_url', 'text'), ('scraping_jobs', 'errors', 'jsonb'),
    ('scraping_jobs', 'error_count', 'integer'),
    ('scraping_jobs', 'started_at', 'timestamp with time zone'),
    ('scraping_jobs', 'completed_at', 'timestamp with time zone'),
    ('scraping_jobs', 'duration_seconds', 'integer'), ('scraping_jobs', 'created_by', 'uuid'),
    ('scraping_jobs', 'created_at', 'timestamp with time zone'),
    ('scraping_jobs', 'updated_at', 'timestamp with time zone'),

    ('scraping_job_logs', 'id', 'uuid'), ('scraping_job_logs', 'job_id', 'uuid'),
    ('scraping_job_logs', 'level', 'log_level'), ('scraping_job_logs', 'message', 'text'),
    ('scraping_job_logs', 'details', 'jsonb'),
    ('scraping_job_logs', 'created_at', 'timestamp with time zone'),

    ('notifications', 'id', 'uuid'), ('notifications', 'user_id', 'uuid'),
    ('notifications', 'agency_id', 'uuid'), ('notifications', 'type', 'notification_type'),
    ('notifications', 'title', 'text'), ('notifications', 'message', 'text'),
    ('notifications', 'read', 'boolean'), ('notifications', 'related_entity_type', 'text'),
    ('notifications', 'related_entity_id', 'uuid'), ('notifications', 'action_url', 'text'),
    ('notifications', 'action_label', 'text'),
    ('notifications', 'created_at', 'timestamp with time zone'),

    ('analytics_cache', 'id', 'uuid'), ('analytics_cache', 'cache_key', 'text'),
    ('analytics_cache', 'cache_value', 'jsonb'),
    ('analytics_cache', 'expires_at', 'timestamp with time zone'),
    ('analytics_cache', 'created_at', 'timestamp with time zone')
) as v (tbl, col, typ);

-- The two tables that are not in the spec, column for column.
select columns_are(
    'public', 'campaign_members',
    array['campaign_id', 'user_id', 'agency_id', 'created_at']
);
select columns_are('public', 'audit_log', array[
    'id', 'table_name', 'row_id', 'row_ids', 'action', 'actor_id', 'actor_role', 'agency_id', 'changes',
    'created_at'
]);
select col_type_is('public', 'audit_log', 'changes', 'jsonb', 'audit_log.changes is jsonb');
select
    col_type_is(
        'public', 'audit_log', 'action', 'audit_action', 'audit_log.action is audit_action'
    );

-- Primary keys.
select col_is_pk('public', t, 'id', format('%s.id is the primary key', t))
from unnest(array[
    'agencies', 'user_profiles', 'campaigns', 'leads', 'data_sources', 'scraping_jobs',
    'scraping_job_logs', 'notifications', 'analytics_cache', 'audit_log'
]) as t;
select
    col_is_pk(
        'public',
        'campaign_members',
        array['campaign_id', 'user_id'],
        'campaign_members PK is (campaign_id, user_id)'
    );
select
    col_is_unique(
        'public', 'analytics_cache', array['cache_key'], 'analytics_cache.cache_key is unique'
    );
select
    col_is_unique('public', 'leads', array['agency_id', 'email'], 'one lead per agency per email');

-- Enums ---------------------------------------------------------------------------
select enum_has_labels(
    'public', 'user_role',
    array['super_admin', 'agency_admin', 'researcher', 'client']
);
select enum_has_labels(
    'public', 'campaign_status',
    array['draft', 'active', 'paused', 'completed', 'archived']
);
select enum_has_labels('public', 'lead_status', array[
    'new', 'contacted', 'responded', 'qualified', 'nurturing', 'converted', 'disqualified'
]);
select
    enum_has_labels(
        'public', 'qualification_status', array['pending', 'qualified', 'disqualified']
    );
select enum_has_labels('public', 'lead_priority', array['low', 'medium', 'high', 'urgent']);
select enum_has_labels(
    'public', 'data_source_type',
    array['linkedin', 'apollo', 'zoominfo', 'custom', 'csv', 'api']
);
select
    enum_has_labels(
        'public', 'data_source_status', array['active', 'inactive', 'error', 'testing']
    );
select enum_has_labels(
    'public', 'job_status',
    array['pending', 'running', 'paused', 'completed', 'failed', 'cancelled']
);
select enum_has_labels('public', 'log_level', array['debug', 'info', 'warning', 'error']);
select enum_has_labels('public', 'notification_type', array['info', 'success', 'warning', 'error']);

-- NOT NULL and defaults -------------------------------------------------------------
select col_not_null('public', v.tbl, v.col, format('%s.%s is NOT NULL', v.tbl, v.col))
from (
    values
    ('agencies', 'name'), ('campaigns', 'agency_id'), ('campaigns', 'name'),
    ('campaigns', 'status'), ('campaigns', 'leads_count'), ('leads', 'agency_id'),
    ('leads', 'status'), ('leads', 'qualification_status'), ('leads', 'priority'),
    ('data_sources', 'agency_id'), ('data_sources', 'type'), ('scraping_jobs', 'data_source_id'),
    ('scraping_jobs', 'progress'), ('scraping_job_logs', 'job_id'),
    ('scraping_job_logs', 'message'), ('notifications', 'user_id'), ('notifications', 'title'),
    ('analytics_cache', 'cache_key'), ('analytics_cache', 'expires_at')
) as v (tbl, col);

select
    col_default_is(
        'public', v.tbl, v.col, v.def, format('%s.%s defaults to %s', v.tbl, v.col, v.def)
    )
from (
    values
    ('campaigns', 'status', 'draft'::text), ('campaigns', 'leads_count', '0'),
    ('campaigns', 'qualified_leads_count', '0'), ('campaigns', 'contacted_count', '0'),
    ('campaigns', 'responded_count', '0'), ('leads', 'status', 'new'),
    ('leads', 'qualification_status', 'pending'), ('leads', 'priority', 'medium'),
    ('user_profiles', 'role', 'client'), ('data_sources', 'status', 'active'),
    ('data_sources', 'total_jobs', '0'), ('scraping_jobs', 'status', 'pending'),
    ('scraping_jobs', 'progress', '0'), ('scraping_jobs', 'records_processed', '0'),
    ('scraping_job_logs', 'level', 'info'), ('notifications', 'type', 'info'),
    ('notifications', 'read', 'false')
) as v (tbl, col, def);

-- CHECK constraints: bad rows are rejected with SQLSTATE 23514 ----------------------
select throws_ok(
    $$insert into public.campaigns (agency_id, name, start_date, end_date)
      values ('11111111-1111-4111-8111-111111111111', 'backwards', '2025-03-01', '2025-02-01')$$,
    '23514', null, 'campaigns: end_date before start_date is rejected'
);
select lives_ok(
    $$insert into public.campaigns (agency_id, name, start_date, end_date)
      values ('11111111-1111-4111-8111-111111111111', 'same day', '2025-03-01', '2025-03-01')$$,
    'campaigns: end_date = start_date is accepted'
);
select throws_ok(
    $$update public.campaigns set leads_count = -1
      where id = '33333333-3333-4333-8333-000000000002'$$,
    '23514', null, 'campaigns: a negative counter is rejected'
);
select throws_ok(
    $$insert into public.campaigns (agency_id, name) values ('11111111-1111-4111-8111-111111111111', '   ')$$,
    '23514', null, 'campaigns: a blank name is rejected'
);
select throws_ok(
    $$insert into public.scraping_jobs (agency_id, data_source_id, progress)
      values ('11111111-1111-4111-8111-111111111111', '44444444-4444-4444-8444-000000000001', 101)$$,
    '23514', null, 'scraping_jobs: progress above 100 is rejected'
);
select throws_ok(
    $$insert into public.scraping_jobs (agency_id, data_source_id, progress)
      values ('11111111-1111-4111-8111-111111111111', '44444444-4444-4444-8444-000000000001', -1)$$,
    '23514', null, 'scraping_jobs: negative progress is rejected'
);
select lives_ok(
    $$insert into public.scraping_jobs (agency_id, data_source_id, progress)
      values ('11111111-1111-4111-8111-111111111111', '44444444-4444-4444-8444-000000000001', 100)$$,
    'scraping_jobs: progress 100 is accepted'
);
select throws_ok(
    $$insert into public.scraping_jobs (agency_id, data_source_id, records_processed)
      values ('11111111-1111-4111-8111-111111111111', '44444444-4444-4444-8444-000000000001', -5)$$,
    '23514', null, 'scraping_jobs: a negative counter is rejected'
);
select throws_ok(
    $$update public.data_sources set total_records_scraped = -1
      where id = '44444444-4444-4444-8444-000000000001'$$,
    '23514', null, 'data_sources: a negative counter is rejected'
);
select throws_ok(
    $$update public.data_sources set credentials = '{"api_key": "plaintext"}'
      where id = '44444444-4444-4444-8444-000000000001'$$,
    '23514', null, 'data_sources: plaintext credentials (no encryption envelope) are rejected'
);
select throws_ok(
    $$insert into public.leads (agency_id, email) values ('11111111-1111-4111-8111-111111111111', 'not-an-email')$$,
    '23514', null, 'leads: an invalid email is rejected'
);
select throws_ok(
    $$insert into public.leads (agency_id, company) values ('11111111-1111-4111-8111-111111111111', 'Nameless Ltd')$$,
    '23514', null, 'leads: a lead without email, LinkedIn URL or name is rejected'
);
select throws_ok(
    $$insert into public.notifications (user_id, title) values ('00000000-0000-4000-8000-000000000011', ' ')$$,
    '23514', null, 'notifications: a blank title is rejected'
);
select throws_ok(
    $$insert into public.leads (agency_id, campaign_id, email)
      values ('22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-000000000001', 'x@cross.io')$$,
    '23503', null, 'leads: a lead cannot point at another agency''s campaign (composite FK)'
);

-- Foreign keys ----------------------------------------------------------------------
select fk_ok('public', 'user_profiles', 'id', 'auth', 'users', 'id');
select fk_ok('public', 'user_profiles', 'agency_id', 'public', 'agencies', 'id');
select fk_ok('public', 'campaigns', 'agency_id', 'public', 'agencies', 'id');
select fk_ok('public', 'campaigns', 'created_by', 'public', 'user_profiles', 'id');
select fk_ok(
    'public', 'campaign_members', array['campaign_id', 'agency_id'],
    'public', 'campaigns', array['id', 'agency_id']
);
select fk_ok(
    'public', 'campaign_members', array['user_id', 'agency_id'],
    'public', 'user_profiles', array['id', 'agency_id']
);
select fk_ok('public', 'leads', 'agency_id', 'public', 'agencies', 'id');
select
    fk_ok(
        'public',
        'leads',
        array['campaign_id', 'agency_id'],
        'public',
        'campaigns',
        array['id', 'agency_id']
    );
select fk_ok('public', 'leads', 'created_by', 'public', 'user_profiles', 'id');
select fk_ok(
    'public', 'leads', array['assigned_to', 'agency_id'],
    'public', 'user_profiles', array['id', 'agency_id']
);
select fk_ok(
    'public', 'leads', array['data_source_id', 'agency_id'],
    'public', 'data_sources', array['id', 'agency_id']
);
select fk_ok(
    'public', 'leads', array['scraping_job_id', 'agency_id'],
    'public', 'scraping_jobs', array['id', 'agency_id']
);
select fk_ok('public', 'data_sources', 'agency_id', 'public', 'agencies', 'id');
select fk_ok('public', 'data_sources', 'created_by', 'public', 'user_profiles', 'id');
select fk_ok('public', 'scraping_jobs', 'agency_id', 'public', 'agencies', 'id');
select fk_ok(
    'public', 'scraping_jobs', array['data_source_id', 'agency_id'],
    'public', 'data_sources', array['id', 'agency_id']
);
select fk_ok(
    'public', 'scraping_jobs', array['campaign_id', 'agency_id'],
    'public', 'campaigns', array['id', 'agency_id']
);
select fk_ok('public', 'scraping_jobs', 'created_by', 'public', 'user_profiles', 'id');
select fk_ok(
    'public', 'scraping_job_logs', array['job_id', 'agency_id'],
    'public', 'scraping_jobs', array['id', 'agency_id']
);
select fk_ok('public', 'notifications', 'user_id', 'public', 'user_profiles', 'id');
select fk_ok('public', 'notifications', 'agency_id', 'public', 'agencies', 'id');
select fk_ok('public', 'analytics_cache', 'agency_id', 'public', 'agencies', 'id');

-- Indexes -----------------------------------------------------------------------------
-- Every foreign key's leading column leads some index of its table.
select is_empty(
    $$select c.conrelid::regclass::text || ' ' || c.conname
      from pg_constraint as c
      where c.contype = 'f' and c.connamespace = 'public'::regnamespace
        and not exists (
            select 1 from pg_index as i
            where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1]
        )$$,
    'every foreign key column is the leading column of an index'
);
select has_index('public', v.tbl, v.idx, format('index %s on %s', v.idx, v.tbl))
from (
    values
    ('user_profiles', 'user_profiles_agency_id_idx'), ('campaigns', 'campaigns_created_by_idx'),
    ('campaigns', 'campaigns_agency_status_idx'),
    ('campaign_members', 'campaign_members_user_id_idx'),
    ('campaign_members', 'campaign_members_agency_id_idx'), ('leads', 'leads_campaign_id_idx'),
    ('leads', 'leads_assigned_to_idx'), ('leads', 'leads_created_by_idx'),
    ('leads', 'leads_data_source_id_idx'), ('leads', 'leads_scraping_job_id_idx'),
    ('leads', 'leads_agency_status_idx'), ('data_sources', 'data_sources_created_by_idx'),
    ('data_sources', 'data_sources_agency_status_idx'),
    ('scraping_jobs', 'scraping_jobs_data_source_id_idx'),
    ('scraping_jobs', 'scraping_jobs_campaign_id_idx'),
    ('scraping_jobs', 'scraping_jobs_created_by_idx'),
    ('scraping_jobs', 'scraping_jobs_agency_status_idx'),
    ('scraping_job_logs', 'scraping_job_logs_job_created_at_idx'),
    ('scraping_job_logs', 'scraping_job_logs_agency_id_idx'),
    ('notifications', 'notifications_user_unread_idx'),
    ('notifications', 'notifications_agency_id_idx'),
    ('analytics_cache', 'analytics_cache_agency_id_idx')
) as v (tbl, idx);
-- Trigram (GIN gin_trgm_ops) search indexes.
select index_is_type('public', 'campaigns', 'campaigns_name_trgm_idx', 'gin');
select index_is_type('public', 'leads', 'leads_search_text_trgm_idx', 'gin');
select results_eq(
    $$select count(*)::integer from pg_index as i
      join pg_opclass as o on o.oid = i.indclass[0]
      where o.opcname = 'gin_trgm_ops'
        and i.indexrelid in ('public.campaigns_name_trgm_idx'::regclass,
                             'public.leads_search_text_trgm_idx'::regclass)$$,
    array[2],
    'both search indexes use gin_trgm_ops'
);

-- Row level security on every public table ----------------------------------------------
select is_empty(
    $$select relname from pg_class
      where relnamespace = 'public'::regnamespace and relkind = 'r' and not relrowsecurity$$,
    'RLS is enabled on every table of the public schema'
);
select results_eq(
    $$select count(*)::integer from pg_class
      where relnamespace = 'public'::regnamespace and relkind = 'r' and relrowsecurity$$,
    array[11],
    'all eleven public tables have RLS enabled'
);

-- Views -------------------------------------------------------------------------------
select has_view('public', 'campaign_performance_view', 'campaign_performance_view exists');
select has_view('public', 'lead_pipeline_view', 'lead_pipeline_view exists');
select ok(
    (
        select 'security_invoker=true' = any(reloptions) from pg_class
        where oid = 'public.campaign_performance_view'::regclass
    ),
    'campaign_performance_view is security_invoker'
);
select ok(
    (
        select 'security_invoker=true' = any(reloptions) from pg_class
        where oid = 'public.lead_pipeline_view'::regclass
    ),
    'lead_pipeline_view is security_invoker'
);

-- Realtime publication ----------------------------------------------------------------
select set_eq(
    $$select tablename::text from pg_publication_tables
      where pubname = 'supabase_realtime' and schemaname = 'public'$$,
    array[
        'scraping_jobs', 'campaigns', 'leads', 'notifications', 'data_sources', 'scraping_job_logs'
    ],
    'exactly the six spec tables are in supabase_realtime'
);
select is(
    (
        select string_agg(relname || ':' || relreplident::text, ',' order by relname) from pg_class
        where
            relnamespace = 'public'::regnamespace
            and relname in (
                'scraping_jobs', 'campaigns', 'leads', 'notifications',
                'data_sources', 'scraping_job_logs'
            )
    ),
    'campaigns:f,data_sources:i,leads:f,notifications:f,scraping_job_logs:f,scraping_jobs:f',
    'replica identity FULL (data_sources: its (id, agency_id) index)'
);
select ok(
    (
        select i.indisreplident from pg_index as i
        where i.indexrelid = 'public.data_sources_id_agency_key'::regclass
    ),
    'data_sources replica identity index is data_sources_id_agency_key'
);
select ok(
    (
        select not ('credentials' = any(attnames)) and 'agency_id' = any(attnames)
        from pg_publication_tables
        where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'data_sources'
    ),
    'data_sources publication column list excludes credentials (and keeps agency_id)'
);

select * from finish();
rollback;
