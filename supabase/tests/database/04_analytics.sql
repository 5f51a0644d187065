-- get_campaign_analytics and get_lead_analytics (migration 007): shapes, figures against
-- plain counts, argument errors, and RLS (the functions are SECURITY INVOKER).
begin;
create extension if not exists pgtap with schema extensions;

select plan(17);

select has_function('public', 'get_campaign_analytics', array['uuid', 'text', 'text']);
select has_function('public', 'get_lead_analytics', array['text', 'text', 'uuid', 'uuid']);

-- Three leads created now in "Fintech Founders", one of them qualified and responded.
insert into public.leads (agency_id, campaign_id, email, status, qualification_status) values
(
    '11111111-1111-4111-8111-111111111111', '33333333-3333-4333-8333-000000000002',
    'an.1@t.io', 'responded', 'qualified'
),
(
    '11111111-1111-4111-8111-111111111111', '33333333-3333-4333-8333-000000000002',
    'an.2@t.io', 'new', 'pending'
),
(
    '11111111-1111-4111-8111-111111111111', '33333333-3333-4333-8333-000000000002',
    'an.3@t.io', 'contacted', 'pending'
);
set constraints all immediate;

set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';

select is(
    (get_campaign_analytics('33333333-3333-4333-8333-000000000002', '7d', 'day')) -> 'campaign' ->> 'name',
    'Fintech Founders',
    'campaign analytics name the campaign'
);
select is(
    jsonb_array_length(get_campaign_analytics('33333333-3333-4333-8333-000000000002', '7d', 'day') -> 'timeline'),
    8,
    'a 7-day range by day has 8 buckets, empty ones included'
);
select is(
    (
        select t -> 'totalLeads'
        from
            jsonb_array_elements(
                get_campaign_analytics('33333333-3333-4333-8333-000000000002', '7d', 'day') -> 'timeline'
            ) as t
        where (t ->> 'date')::date = current_date
    ),
    '3'::jsonb,
    'today''s bucket counts the three leads created now'
);
select is(
    (
        select sum((t ->> 'totalLeads')::integer)::integer
        from jsonb_array_elements(
            get_campaign_analytics('33333333-3333-4333-8333-000000000002', '1y', 'month') -> 'timeline'
        ) as t
    ),
    (
        select count(*)::integer from public.leads
        where
            campaign_id = '33333333-3333-4333-8333-000000000002'
            and created_at >= now() - interval '1 year'
    ),
    'monthly buckets over a year add up to the leads created in it'
);
select is(
    get_campaign_analytics('33333333-3333-4333-8333-000000000002') -> 'metrics' -> 'totalLeads',
    to_jsonb((
        select count(*) from public.leads
        where campaign_id = '33333333-3333-4333-8333-000000000002'
    )),
    'metrics.totalLeads is the campaign''s lead count'
);
select is(
    (
        select sum(value::integer)::integer
        from jsonb_each_text(get_campaign_analytics('33333333-3333-4333-8333-000000000002') -> 'distribution' -> 'status')
    ),
    (
        select count(*)::integer from public.leads
        where campaign_id = '33333333-3333-4333-8333-000000000002'
    ),
    'the status distribution covers every lead of the campaign'
);
select throws_ok(
    $$select get_campaign_analytics('33333333-3333-4333-8333-000000000002', '2w')$$,
    '22023', 'invalid range "2w"', 'an unknown range is a 22023 naming it'
);
select throws_ok(
    $$select get_campaign_analytics('33333333-3333-4333-8333-000000000002', '30d', 'year')$$,
    '22023', 'invalid group_by "year"', 'an unknown group_by is a 22023 naming it'
);
select throws_ok(
    $$select get_campaign_analytics('33333333-3333-4333-8333-000000000004')$$,
    'P0002', null, 'another agency''s campaign is not found'
);

select results_eq(
    $$select (m ->> 'total')::integer, (m ->> 'qualified')::integer, (m ->> 'qualificationRate')::numeric
      from (select get_lead_analytics('7d', 'status') -> 'metrics' as m) as x$$,
    $$select count(*)::integer,
             (count(*) filter (where qualification_status = 'qualified'))::integer,
             round(100.0 * count(*) filter (where qualification_status = 'qualified') / count(*), 2)
      from public.leads
      where agency_id = '11111111-1111-4111-8111-111111111111'
        and created_at >= now() - interval '7 days'$$,
    'lead metrics over the last 7 days of the caller''s agency match plain counts'
);
select is(
    (select count(*)::integer from jsonb_object_keys(get_lead_analytics() -> 'statusBreakdown')),
    7,
    'the status breakdown lists every lead status'
);
select is(
    get_lead_analytics('7d', 'campaign') -> 'groupedData',
    (
        select jsonb_object_agg(g.campaign_id, g.n)
        from (
            select campaign_id, count(*) as n from public.leads
            where
                agency_id = '11111111-1111-4111-8111-111111111111'
                and created_at >= now() - interval '7 days'
            group by campaign_id
        ) as g
    ),
    'grouped by campaign'
);
select is(
    jsonb_array_length(get_lead_analytics() -> 'topCampaigns'),
    3,
    'top campaigns are the agency''s own'
);
select throws_ok(
    $$select get_lead_analytics('30d', 'colour')$$,
    '22023', 'invalid group_by "colour"', 'an unknown lead group_by is a 22023 naming it'
);

-- A client sees only the leads of the campaigns they belong to ("Q1 SaaS CTOs").
reset role;
create temporary table client_expected as
select count(*)::integer as n from public.leads
where
    campaign_id = '33333333-3333-4333-8333-000000000001'
    and created_at >= now() - interval '7 days';
grant select on client_expected to authenticated;
set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000013","role":"authenticated"}';
select is(
    (get_lead_analytics('7d', 'status') -> 'metrics' ->> 'total')::integer,
    (select n from client_expected),
    'a client''s lead analytics count only their campaign''s leads'
);
reset role;
reset "request.jwt.claims";

select * from finish();
rollback;
