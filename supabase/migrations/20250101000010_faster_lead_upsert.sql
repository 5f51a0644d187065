-- 010 Faster lead writes: the audit log of public.leads without dynamic SQL.
--
-- Every batch of upsert_leads() fires the audit triggers of leads twice (the
-- insert, and the update of the merged leads). The generic
-- private.audit_changes() (migration 002) builds its statement with format()
-- and runs it with EXECUTE, so each call parses and plans it afresh (about
-- 0.7 ms), and its update statement evaluated audit_diff() twice per row (once
-- in the join filter, once for the stored value). Leads are the one table
-- written in bulk, so they get their own trigger function with static
-- statements: PL/pgSQL prepares them once per session, and the diff of a row
-- is computed once. The audit rows are exactly those audit_changes('id',
-- 'agency_id', 'id') writes; the other tables keep the generic function.
create function private.audit_lead_changes() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
    actor constant uuid := coalesce(
        (select auth.uid()), nullif(current_setting('dashin.actor_id', true), '')::uuid
    );
    actor_role constant text := coalesce(nullif((select auth.role()), ''), session_user::text);
begin
    if tg_op = 'INSERT' then
        insert into public.audit_log (
            table_name, row_id, row_ids, action, actor_id, actor_role, agency_id, changes
        )
        select
            'leads',
            case when count(*) = 1 then min(r.id::text)::uuid end,
            array_agg(r.id),
            'insert',
            actor,
            actor_role,
            r.agency_id,
            '{}'::jsonb
        from new_rows as r
        group by r.agency_id;
    elsif tg_op = 'DELETE' then
        insert into public.audit_log (
            table_name, row_id, action, actor_id, actor_role, agency_id, changes
        )
        select
            'leads', r.id, 'delete', actor, actor_role, r.agency_id,
            private.audit_diff(to_jsonb(r), null)
        from old_rows as r;
    else
        insert into public.audit_log (
            table_name, row_id, action, actor_id, actor_role, agency_id, changes
        )
        select 'leads', d.id, 'update', actor, actor_role, d.agency_id, d.changes
        from (
            select
                n.id,
                n.agency_id,
                private.audit_diff(to_jsonb(o), to_jsonb(n)) as changes
            from new_rows as n
            inner join old_rows as o on n.id = o.id
            -- OFFSET 0 keeps the subquery from being flattened into the outer
            -- query, which would evaluate audit_diff() once more in the filter.
            offset 0
        ) as d (id, agency_id, changes)
        where d.changes <> '{}'::jsonb;
    end if;
    return null;
end
$$;

revoke all on function private.audit_lead_changes() from public;

drop trigger audit_insert on public.leads;
drop trigger audit_update on public.leads;
drop trigger audit_delete on public.leads;

create trigger audit_insert after insert on public.leads
referencing new table as new_rows
for each statement execute function private.audit_lead_changes();

create trigger audit_update after update on public.leads
referencing old table as old_rows new table as new_rows
for each statement execute function private.audit_lead_changes();

create trigger audit_delete after delete on public.leads
referencing old table as old_rows
for each statement execute function private.audit_lead_changes();
