-- Migration 008: get_analytics_overview, record_lead_contact, record_data_source_test.
begin;
create extension if not exists pgtap with schema extensions;

select plan(18);

select has_function('public', 'get_analytics_overview', array['text', 'uuid']);
select has_function('public', 'record_lead_contact', array['uuid', 'text', 'text', 'boolean']);
select has_function(
    'public', 'record_data_source_test', array['uuid', 'boolean', 'text']
);

-- A fresh lead of the demo agency to contact.
insert into public.leads (id, agency_id, campaign_id, email) values (
    '99999999-9999-4999-8999-000000000001', '11111111-1111-4111-8111-111111111111',
    '33333333-3333-4333-8333-000000000001', 'contact.me@t.io'
);

-- As the demo agency admin.
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';

select is(
    (select (get_analytics_overview('7d')) -> 'dateRange' ->> 'range'), '7d',
    'overview: the date range echoes the requested range'
);
select ok(
    (select (get_analytics_overview('7d')) -> 'overview' -> 'leads' ? 'conversionRate'),
    'overview: the spec''s leads section is inside'
);
select throws_ok(
    $$select get_analytics_overview('2w')$$, '22023', null,
    'overview: an unknown range is an invalid argument'
);

select is(
    (record_lead_contact('99999999-9999-4999-8999-000000000001', 'email', 'hello')).status,
    'contacted'::public.lead_status,
    'contact: a new lead becomes contacted'
);
select isnt(
    (
        select l.last_contacted_at from public.leads as l
        where l.id = '99999999-9999-4999-8999-000000000001'
    ),
    null, 'contact: last_contacted_at is stamped'
);
select is(
    (record_lead_contact('99999999-9999-4999-8999-000000000001', 'phone', null, true)).status,
    'responded'::public.lead_status,
    'contact: an answered contact makes the lead responded'
);
select is(
    (
        select jsonb_array_length(l.metadata -> 'contact_history') from public.leads as l
        where l.id = '99999999-9999-4999-8999-000000000001'
    ),
    2, 'contact: every attempt is kept in metadata.contact_history'
);
select throws_ok(
    $$select record_lead_contact('99999999-9999-4999-8999-0000000000ff')$$, 'P0002', null,
    'contact: an unknown lead is not found'
);

select is(
    (record_data_source_test('44444444-4444-4444-8444-000000000001', false, 'bad key'))
    ->> 'success',
    'false', 'test: the outcome is returned'
);
reset role;
select results_eq(
    $$select status::text, last_test_status, last_test_error from public.data_sources
      where id = '44444444-4444-4444-8444-000000000001'$$,
    $$values ('error', 'failed', 'bad key')$$,
    'test: a failed test marks the source error and keeps the message'
);
set local role authenticated;
select is(
    (record_data_source_test('44444444-4444-4444-8444-000000000001', true, 'ok')) ->> 'success',
    'true', 'test: a passing test is recorded'
);
reset role;
select is(
    (
        select d.status::text from public.data_sources as d
        where d.id = '44444444-4444-4444-8444-000000000001'
    ),
    'active', 'test: a passing test brings the source back to active'
);

-- Clients may not record tests, nor test another agency's source.
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select throws_ok(
    $$select record_data_source_test('44444444-4444-4444-8444-000000000001', true, 'x')$$,
    '42501', null, 'test: a client may not record a connection test'
);
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
select throws_ok(
    $$select record_data_source_test('44444444-4444-4444-8444-000000000002', true, 'x')$$,
    '42501', null, 'test: nobody tests another agency''s source'
);
reset role;
reset "request.jwt.claims";

-- Migration 011: log lines of one insert read back in the order they were written.
insert into public.scraping_jobs (id, agency_id, data_source_id) values (
    '99999999-9999-4999-8999-000000000002', '11111111-1111-4111-8111-111111111111',
    '44444444-4444-4444-8444-000000000001'
);
insert into public.scraping_job_logs (job_id, agency_id, message)
select
    '99999999-9999-4999-8999-000000000002'::uuid as job_id,
    '11111111-1111-4111-8111-111111111111'::uuid as agency_id,
    'line ' || n as message
from generate_series(1, 20) as n;
select is(
    (
        select array_agg(g.message order by g.created_at, g.id)
        from public.scraping_job_logs as g
        where
            g.job_id = '99999999-9999-4999-8999-000000000002'
            and g.message like 'line %'
    ),
    (
        select array_agg('line ' || n order by n) as lines
        from generate_series(1, 20) as n
    ),
    'logs: one insert''s lines keep their order by created_at'
);

select * from finish();
rollback;
