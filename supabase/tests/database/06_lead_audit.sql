-- The audit triggers of public.leads (migration 010: a static trigger function instead of the
-- generic dynamic-SQL one) write exactly the rows the generic function writes: one insert row per
-- statement and agency listing the new ids, one update row per changed lead with old -> new of
-- the changed columns (none for a change of updated_at alone), one delete row per lead.
begin;
create extension if not exists pgtap with schema extensions;

select plan(12);

select
    trigger_is(
        'public', 'leads', t, 'private', 'audit_lead_changes',
        format('leads trigger %s runs private.audit_lead_changes()', t)
    )
from unnest(array['audit_insert', 'audit_update', 'audit_delete']) as t;
select is(
    (
        select count(*)::integer from pg_trigger
        where
            tgrelid = 'public.leads'::regclass and not tgisinternal
            and tgfoid = 'private.audit_changes'::regproc
    ),
    0,
    'leads no longer run the generic audit function'
);

set local role authenticated;
set local "request.jwt.claims" to '{"sub":"00000000-0000-4000-8000-000000000011","role":"authenticated"}';
insert into public.leads (id, campaign_id, email, title) values
(
    '66666666-6666-4666-8666-000000000101', '33333333-3333-4333-8333-000000000002',
    'audit.one@t.io', 'CTO'
),
(
    '66666666-6666-4666-8666-000000000102', '33333333-3333-4333-8333-000000000002',
    'audit.two@t.io', null
);
insert into public.leads (id, email) values
('66666666-6666-4666-8666-000000000103', 'audit.three@t.io');
-- One lead changes its title, the other only its updated_at (not audited).
update public.leads set title = case when email = 'audit.two@t.io' then 'CEO' else title end
where id in ('66666666-6666-4666-8666-000000000101', '66666666-6666-4666-8666-000000000102');
delete from public.leads
where id = '66666666-6666-4666-8666-000000000103';
reset role;
reset "request.jwt.claims";

create temp table lead_audit on commit drop as
select a.* from public.audit_log as a
where a.table_name = 'leads' and a.created_at = now();

select results_eq(
    $$select action::text, count(*)::integer from lead_audit group by action order by action$$,
    $$values ('delete', 1), ('insert', 2), ('update', 1)$$,
    'two insert statements, one changed lead, one deleted lead: four audit rows'
);
select results_eq(
    $$select row_id, array(select unnest(row_ids) order by 1), changes from lead_audit
      where action = 'insert' and cardinality(row_ids) = 2$$,
    $$values (null::uuid,
              array['66666666-6666-4666-8666-000000000101',
                    '66666666-6666-4666-8666-000000000102']::uuid[],
              '{}'::jsonb)$$,
    'a multi-row insert is one row listing both ids, without row_id or payload'
);
select results_eq(
    $$select row_id, row_ids from lead_audit where action = 'insert' and cardinality(row_ids) = 1$$,
    $$values ('66666666-6666-4666-8666-000000000103'::uuid,
              array['66666666-6666-4666-8666-000000000103']::uuid[])$$,
    'a single-row insert names its row in row_id too'
);
select results_eq(
    $$select row_id, changes from lead_audit where action = 'update'$$,
    $$values ('66666666-6666-4666-8666-000000000102'::uuid,
              '{"title": {"old": null, "new": "CEO"}}'::jsonb)$$,
    'an update records old -> new of the changed column, only for the lead that changed'
);
select results_eq(
    $$select row_id, changes -> 'email', changes ? 'title' from lead_audit where action = 'delete'$$,
    $$values ('66666666-6666-4666-8666-000000000103'::uuid,
              '{"old": "audit.three@t.io", "new": null}'::jsonb, false)$$,
    'a delete records the old values (a column that was null is left out)'
);
select is(
    (
        select count(*)::integer from lead_audit
        where changes ? 'updated_at' or changes ? 'search_text'
    ),
    0,
    'updated_at and search_text are never part of the changes'
);
select results_eq(
    $$select distinct actor_id, actor_role, agency_id from lead_audit$$,
    $$values ('00000000-0000-4000-8000-000000000011'::uuid, 'authenticated',
              '11111111-1111-4111-8111-111111111111'::uuid)$$,
    'every row names the acting user, the API role and the agency'
);

-- A trusted process without a JWT: the acting user comes from dashin.actor_id, the role is the
-- session user.
select set_config('dashin.actor_id', '00000000-0000-4000-8000-000000000012', true);
update public.leads set phone = '+1 555 0100'
where id = '66666666-6666-4666-8666-000000000101';
select results_eq(
    $$select actor_id, actor_role = session_user, changes from public.audit_log
      where table_name = 'leads' and action = 'update'
        and row_id = '66666666-6666-4666-8666-000000000101'$$,
    $$values ('00000000-0000-4000-8000-000000000012'::uuid, true,
              '{"phone": {"old": null, "new": "+1 555 0100"}}'::jsonb)$$,
    'without a JWT the actor is dashin.actor_id and the role the session user'
);

select * from finish();
rollback;
