-- Demo data: two agencies, one user of each role, campaigns, leads, a data
-- source. Idempotent. Every demo user's password is "dashin-demo-password".
--
--   super@dashin.test            super_admin   (no agency)
--   admin@demo.dashin.test       agency_admin  Demo Agency
--   researcher@demo.dashin.test  researcher    Demo Agency
--   client@demo.dashin.test      client        Demo Agency (member of "Q1 SaaS CTOs")
--   admin@acme.dashin.test       agency_admin  Acme Growth
--   researcher@acme.dashin.test  researcher    Acme Growth
--   client@acme.dashin.test      client        Acme Growth

insert into public.agencies (id, name, settings) values
('11111111-1111-4111-8111-111111111111', 'Demo Agency', '{"timezone": "Europe/London"}'),
('22222222-2222-4222-8222-222222222222', 'Acme Growth', '{"timezone": "America/New_York"}')
on conflict (id) do nothing;

-- Profiles are created by the on_auth_user_created trigger from raw_app_meta_data.
insert into auth.users (
    instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
    raw_app_meta_data, raw_user_meta_data, created_at, updated_at
)
select
    '00000000-0000-0000-0000-000000000000'::uuid as instance_id,
    u.id::uuid as id,
    'authenticated' as aud,
    'authenticated' as role,
    u.email,
    extensions.crypt('dashin-demo-password', extensions.gen_salt('bf')) as encrypted_password,
    now() as email_confirmed_at,
    jsonb_strip_nulls(
        jsonb_build_object(
            'provider', 'email', 'providers', jsonb_build_array('email'),
            'agency_id', u.agency_id, 'role', u.role
        )
    ) as raw_app_meta_data,
    '{}'::jsonb as raw_user_meta_data,
    now() as created_at,
    now() as updated_at
from (
    values
    ('00000000-0000-4000-8000-000000000001', 'super@dashin.test', null, 'super_admin'),
    (
        '00000000-0000-4000-8000-000000000011', 'admin@demo.dashin.test',
        '11111111-1111-4111-8111-111111111111', 'agency_admin'
    ),
    (
        '00000000-0000-4000-8000-000000000012', 'researcher@demo.dashin.test',
        '11111111-1111-4111-8111-111111111111', 'researcher'
    ),
    (
        '00000000-0000-4000-8000-000000000013', 'client@demo.dashin.test',
        '11111111-1111-4111-8111-111111111111', 'client'
    ),
    (
        '00000000-0000-4000-8000-000000000021', 'admin@acme.dashin.test',
        '22222222-2222-4222-8222-222222222222', 'agency_admin'
    ),
    (
        '00000000-0000-4000-8000-000000000022', 'researcher@acme.dashin.test',
        '22222222-2222-4222-8222-222222222222', 'researcher'
    ),
    (
        '00000000-0000-4000-8000-000000000023', 'client@acme.dashin.test',
        '22222222-2222-4222-8222-222222222222', 'client'
    )
) as u (id, email, agency_id, role)
on conflict (id) do nothing;

insert into public.campaigns (
    id, agency_id, name, description, status, start_date, end_date, target_audience, created_by
) values
(
    '33333333-3333-4333-8333-000000000001', '11111111-1111-4111-8111-111111111111',
    'Q1 SaaS CTOs', 'CTOs of B2B SaaS companies, 50-500 employees', 'active',
    '2025-01-06', '2025-03-31', '{"titles": ["CTO", "VP Engineering"], "industries": ["SaaS"]}',
    '00000000-0000-4000-8000-000000000011'
),
(
    '33333333-3333-4333-8333-000000000002', '11111111-1111-4111-8111-111111111111',
    'Fintech Founders', 'Seed to Series B fintech founders', 'draft',
    null, null, '{"titles": ["Founder", "CEO"], "industries": ["Fintech"]}',
    '00000000-0000-4000-8000-000000000011'
),
(
    '33333333-3333-4333-8333-000000000003', '11111111-1111-4111-8111-111111111111',
    'EU Healthcare IT', 'Heads of IT at EU hospitals', 'paused',
    '2025-02-01', null, '{"regions": ["EU"], "industries": ["Healthcare"]}',
    '00000000-0000-4000-8000-000000000011'
),
(
    '33333333-3333-4333-8333-000000000004', '22222222-2222-4222-8222-222222222222',
    'US Retail Ops', 'Operations leaders in US retail', 'active',
    '2025-01-15', '2025-06-30', '{"regions": ["US"], "industries": ["Retail"]}',
    '00000000-0000-4000-8000-000000000021'
)
on conflict (id) do nothing;

insert into public.campaign_members (campaign_id, user_id, agency_id) values
(
    '33333333-3333-4333-8333-000000000001', '00000000-0000-4000-8000-000000000013',
    '11111111-1111-4111-8111-111111111111'
),
(
    '33333333-3333-4333-8333-000000000004', '00000000-0000-4000-8000-000000000023',
    '22222222-2222-4222-8222-222222222222'
)
on conflict do nothing;

insert into public.data_sources (id, agency_id, name, type, status, config, description, created_by)
values
(
    '44444444-4444-4444-8444-000000000001', '11111111-1111-4111-8111-111111111111',
    'Conference attendee CSV', 'csv', 'active',
    '{"delimiter": ",", "mapping": {"Email": "email", "First Name": "first_name"}}',
    'Lists exported from event platforms', '00000000-0000-4000-8000-000000000011'
),
(
    '44444444-4444-4444-8444-000000000002', '22222222-2222-4222-8222-222222222222',
    'Apollo people search', 'apollo', 'inactive', '{"per_page": 100}',
    'Apollo.io (add an API key to activate)', '00000000-0000-4000-8000-000000000021'
)
on conflict (id) do nothing;

-- Deterministic synthetic leads: 60 for Demo Agency across its campaigns,
-- 20 for Acme Growth.
with people as (
    select
        n,
        (array['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken'])[
            1 + n % 8
        ] as first_name,
        (array['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov'])[
            1 + n % 7
        ] as last_name,
        (array['Northwind', 'Globex', 'Initech', 'Umbrella Health', 'Stark Fintech'])[
            1 + n % 5
        ] as company,
        (array['northwind.io', 'globex.com', 'initech.com', 'umbrella-health.eu', 'starkfin.com'])[
            1 + n % 5
        ] as domain
    from generate_series(1, 60) as n
)

insert into public.leads (
    agency_id, campaign_id, email, first_name, last_name, company, title, linkedin_url,
    phone, source, status, qualification_status, priority, created_by, created_at
)
select
    '11111111-1111-4111-8111-111111111111'::uuid as agency_id,
    (array[
        '33333333-3333-4333-8333-000000000001',
        '33333333-3333-4333-8333-000000000002',
        '33333333-3333-4333-8333-000000000003'
    ])[1 + p.n % 3]::uuid as campaign_id,
    lower(p.first_name || '.' || p.last_name || p.n || '@' || p.domain) as email,
    p.first_name,
    p.last_name,
    p.company,
    (array['CTO', 'VP Engineering', 'Head of IT', 'Founder', 'Director of Operations'])[
        1 + p.n % 5
    ] as title,
    'https://www.linkedin.com/in/'
    || lower(p.first_name || '-' || p.last_name || '-' || p.n) as linkedin_url,
    case when p.n % 4 = 0 then '+4420' || lpad((7946000 + p.n)::text, 8, '0') end as phone,
    'seed' as source,
    (array[
        'new', 'new', 'contacted', 'contacted', 'responded', 'qualified', 'nurturing', 'converted',
        'disqualified', 'new'
    ])[1 + p.n % 10]::public.lead_status as status,
    (case
        when p.n % 10 in (5, 7) then 'qualified'
        when p.n % 10 = 8 then 'disqualified'
        else 'pending'
    end)::public.qualification_status as qualification_status,
    (array['low', 'medium', 'medium', 'high', 'urgent'])[
        1 + p.n % 5
    ]::public.lead_priority as priority,
    '00000000-0000-4000-8000-000000000012'::uuid as created_by,
    now() - make_interval(days => p.n) as created_at
from people as p
on conflict on constraint leads_agency_email_key do nothing;

insert into public.leads (
    agency_id, campaign_id, email, first_name, last_name, company, title, source, status,
    created_by
)
select
    '22222222-2222-4222-8222-222222222222'::uuid as agency_id,
    '33333333-3333-4333-8333-000000000004'::uuid as campaign_id,
    'buyer' || n || '@retailco' || (n % 4) || '.com' as email,
    'Buyer' as first_name,
    'Number ' || n as last_name,
    'RetailCo ' || (n % 4) as company,
    'Head of Operations' as title,
    'seed' as source,
    (array['new', 'contacted', 'responded', 'qualified'])[1 + n % 4]::public.lead_status as status,
    '00000000-0000-4000-8000-000000000022'::uuid as created_by
from generate_series(1, 20) as n
on conflict on constraint leads_agency_email_key do nothing;
