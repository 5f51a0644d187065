-- Synthetic leads for bench.sdk_list: %(rows)s leads of the Demo Agency across its three
-- campaigns, created over the last year, with the seed's status mix. Loaded as the
-- superuser in one statement.
insert into public.leads (
    agency_id, campaign_id, email, first_name, last_name, company, title, source,
    status, qualification_status, priority, created_at
)
select
    '11111111-1111-4111-8111-111111111111'::uuid as agency_id,
    (array[
        '33333333-3333-4333-8333-000000000001',
        '33333333-3333-4333-8333-000000000002',
        '33333333-3333-4333-8333-000000000003'
    ])[1 + mod(n, 3)]::uuid as campaign_id,
    'bench' || n || '@company' || (mod(n, 997)) || '.example' as email,
    'First' || (mod(n, 101)) as first_name,
    'Last' || (mod(n, 211)) as last_name,
    'Company ' || (mod(n, 997)) as company,
    (array['CTO', 'VP Engineering', 'Head of IT', 'Founder'])[1 + mod(n, 4)] as title,
    'bench' as source,
    (array[
        'new', 'new', 'contacted', 'contacted', 'responded', 'qualified', 'nurturing',
        'converted', 'disqualified', 'new'
    ])[1 + mod(n, 10)]::public.lead_status as status,
    'pending'::public.qualification_status as qualification_status,
    (array['low', 'medium', 'medium', 'high', 'urgent'])[
        1 + mod(n, 5)
    ]::public.lead_priority as priority,
    now() - make_interval(secs => n * 157.0) as created_at
from generate_series(1, %(rows)s) as n
