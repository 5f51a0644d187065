-- 012 A leaner batch lead upsert, with the same signature, contract and results
-- as 010's (tests/integration/test_upsert_perf_equivalence.py compares it with
-- 006's). Measured with bench/upsert_leads.py (backend CPU, 010 and 012
-- interleaved on one server, medians of four runs): 2.5 % less than 010.
--   1. New leads are inserted with a plain INSERT. INSERT ... ON CONFLICT
--      inserts every row speculatively: one more index probe and one more WAL
--      record per row, only to catch a concurrent upsert of the same email
--      (the rare case). Now that case aborts the attempt with a
--      unique_violation and upsert_leads() runs it again on a fresh snapshot,
--      which sees the other lead and merges into it -- with the same rules as
--      any duplicate: 010's ON CONFLICT branch left status, qualification and
--      the source/job references unfilled and counted every such record as
--      updated, changed or not.
--   2. Absent status, qualification and priority default to enum constants
--      (the cast of the literal is folded when the plan is made) instead of
--      casting text to the enum row by row.
--   3. The insert returns nothing: without ON CONFLICT every new lead is
--      inserted or the statement fails, so the count is known beforehand.
-- The set-based statement moves into private.store_leads() so that
-- upsert_leads() can wrap an attempt in its exception block.

-- One attempt at a batch (records already checked to be an array of at most
-- 10,000, non-objects replaced by {} and listed in not_objects; target_agency
-- resolved): dedupes, merges into and inserts leads. Returns inserted, updated
-- and the rejections; upsert_leads() derives the rest.
create function private.store_leads(
    records jsonb,
    not_objects integer[],
    target_agency uuid,
    campaign_id uuid,
    source text,
    data_source_id uuid,
    scraping_job_id uuid
) returns public.lead_upsert_result
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
    -- Once per call: as the column default, auth.uid() would parse the JWT claims per row.
    caller constant uuid := (select auth.uid());
    result public.lead_upsert_result;
    allowed_keys constant text[] := array[
        'email', 'first_name', 'last_name', 'company', 'title', 'linkedin_url', 'phone',
        'source', 'status', 'qualification_status', 'qualification_reason', 'priority', 'metadata'
    ];
    lead_statuses constant text[] := enum_range(null::public.lead_status)::text[];
    qualification_statuses constant text[] := enum_range(null::public.qualification_status)::text[];
    lead_priorities constant text[] := enum_range(null::public.lead_priority)::text[];
begin
    -- OFFSET 0: otherwise the planner folds this into `checked` and evaluates
    -- each normalisation twice (once for the value, once for the validation
    -- that reads it). Only normalised values leave it. Not MATERIALIZED: its
    -- rows go straight into `checked`, the first step stored (it is read twice),
    -- instead of being stored once more before it.
    with parsed as (
        select
            (r.ordinality - 1)::integer as idx,
            -- What is wrong with the record's form, judged on the raw JSON here so that
            -- neither it nor the raw values need to travel further.
            case
                when (r.ordinality - 1)::integer = any(not_objects) then 'record is not a JSON object'
                when r.rec - allowed_keys <> '{}'::jsonb then 'unknown field(s): ' || (
                    select string_agg(k.key, ', ' order by k.key)
                    from jsonb_object_keys(r.rec - allowed_keys) as k (key)
                )
                -- jsonb_to_recordset renders an object or array as its JSON
                -- text: look closer only at values starting with { or [.
                when (
                    left(r.email, 1) in ('{', '[')
                    or left(r.first_name, 1) in ('{', '[')
                    or left(r.last_name, 1) in ('{', '[')
                    or left(r.company, 1) in ('{', '[')
                    or left(r.title, 1) in ('{', '[')
                    or left(r.linkedin_url, 1) in ('{', '[')
                    or left(r.phone, 1) in ('{', '[')
                    or left(r.source, 1) in ('{', '[')
                    or left(r.status, 1) in ('{', '[')
                    or left(r.qualification_status, 1) in ('{', '[')
                    or left(r.qualification_reason, 1) in ('{', '[')
                    or left(r.priority, 1) in ('{', '[')
                )
                and jsonb_path_exists(
                    r.rec - 'metadata', '$.* ? (@.type() == "object" || @.type() == "array")'
                ) then 'field(s) must be text, not objects or arrays: ' || (
                    select string_agg(f.key, ', ' order by f.key)
                    from jsonb_each(r.rec - 'metadata') as f (key, value)
                    where jsonb_typeof(f.value) in ('object', 'array')
                )
                when r.metadata is not null and jsonb_typeof(r.metadata) not in ('object', 'null')
                    then 'metadata must be a JSON object'
            end as form_problem,
            private.normalize_email(r.email) as email,
            private.normalize_linkedin_url(r.linkedin_url) as linkedin_url,
            private.clean_text(r.first_name) as first_name,
            private.clean_text(r.last_name) as last_name,
            private.clean_text(r.company) as company,
            private.clean_text(r.title) as title,
            private.clean_text(r.phone) as phone,
            private.clean_text(r.source) as source,
            private.clean_text(r.status) as status,
            private.clean_text(r.qualification_status) as qualification_status,
            private.clean_text(r.qualification_reason) as qualification_reason,
            private.clean_text(r.priority) as priority,
            r.metadata
        from rows from (
            jsonb_array_elements(records),
            jsonb_to_recordset(records) as (
                email text, first_name text, last_name text, company text, title text,
                linkedin_url text, phone text, source text, status text,
                qualification_status text, qualification_reason text, priority text,
                metadata jsonb
            )
        ) with ordinality as r (
            rec, email, first_name, last_name, company, title, linkedin_url, phone, source,
            status, qualification_status, qualification_reason, priority, metadata, ordinality
        )
        offset 0
    ),

    checked as (
        select
            p.*,
            case
                when p.form_problem is not null then p.form_problem
                when p.email is not null and not private.is_valid_email(p.email)
                    then 'invalid email: ' || p.email
                when p.email is null and p.linkedin_url is null
                    and (p.company is null or (p.first_name is null and p.last_name is null))
                    then 'no identity: needs an email, a linkedin_url, or a name and a company'
                when p.status is not null and not (p.status = any(lead_statuses))
                    then 'invalid status: ' || p.status
                when p.qualification_status is not null
                    and not (p.qualification_status = any(qualification_statuses))
                    then 'invalid qualification_status: ' || p.qualification_status
                when p.priority is not null and not (p.priority = any(lead_priorities))
                    then 'invalid priority: ' || p.priority
            end as reason
        from parsed as p
    ),

    identified as (
        select
            c.*,
            coalesce(
                'e:' || c.email,
                'l:' || c.linkedin_url,
                'n:' || lower(coalesce(c.first_name, '')) || '|' || lower(coalesce(c.last_name, ''))
                || '|' || lower(c.company)
            ) as identity
        from checked as c
        where c.reason is null
    ),

    valid as (
        select
            i.*,
            -- Byte order ("C") for the internal sorts: Supabase databases default to a
            -- linguistic collation, and sorting 100k such keys took 2.3x as long with
            -- ICU en-US as in byte order.
            count(*) over (partition by i.identity collate "C") as copies
        from identified as i
    ),

    -- The merged metadata of each in-batch duplicate group. jsonb keeps the
    -- last value of a repeated key: feed the earliest record last so its
    -- values win.
    duplicate_metadata as (
        select d.identity, jsonb_object_agg(kv.key, kv.value order by d.idx desc) as metadata
        from valid as d
        cross join lateral jsonb_each(d.metadata) as kv (key, value)
        where d.copies > 1 and jsonb_typeof(d.metadata) = 'object'
        group by d.identity
    ),

    -- One row per identity. A lone record passes through; for in-batch
    -- duplicates the earliest record wins each field and later ones only fill
    -- what it lacks (metadata keys likewise).
    deduped as (
        select
            v.idx, v.email, v.linkedin_url, v.first_name, v.last_name, v.company, v.title,
            v.phone, v.source, v.status, v.qualification_status, v.qualification_reason,
            v.priority,
            case when jsonb_typeof(v.metadata) = 'object' then v.metadata else '{}'::jsonb end
                as metadata
        from valid as v
        where v.copies = 1
        union all
        select
            min(v.idx),
            (array_agg(v.email order by v.idx) filter (where v.email is not null))[1],
            (array_agg(v.linkedin_url order by v.idx) filter (where v.linkedin_url is not null))[1],
            (array_agg(v.first_name order by v.idx) filter (where v.first_name is not null))[1],
            (array_agg(v.last_name order by v.idx) filter (where v.last_name is not null))[1],
            (array_agg(v.company order by v.idx) filter (where v.company is not null))[1],
            (array_agg(v.title order by v.idx) filter (where v.title is not null))[1],
            (array_agg(v.phone order by v.idx) filter (where v.phone is not null))[1],
            (array_agg(v.source order by v.idx) filter (where v.source is not null))[1],
            (array_agg(v.status order by v.idx) filter (where v.status is not null))[1],
            (array_agg(v.qualification_status order by v.idx)
                filter (where v.qualification_status is not null))[1],
            (array_agg(v.qualification_reason order by v.idx)
                filter (where v.qualification_reason is not null))[1],
            (array_agg(v.priority order by v.idx) filter (where v.priority is not null))[1],
            coalesce(dm.metadata, '{}'::jsonb)
        from valid as v
        left join duplicate_metadata as dm on v.identity = dm.identity
        where v.copies > 1
        group by v.identity, dm.metadata
    ),

    matched as (
        select
            d.*,
            -- Each match is one index probe (a scalar subquery with LIMIT 1, so
            -- even a generic cached plan never scans the agency's leads), and
            -- only the probes that apply to the record run: COALESCE stops at
            -- the first match and CASE skips the others. (As LATERAL joins,
            -- every probe's plan was restarted for every record, including the
            -- sorts of the ones that could not apply.)
            coalesce(
                case when d.email is not null then (
                    select x.id from public.leads as x
                    where x.agency_id = target_agency and x.email = d.email
                    limit 1
                ) end,
                -- A LinkedIn URL identifies a lead only where at most one side
                -- has an email (two different emails are two different leads):
                -- a record without an email matches any lead with its URL (the
                -- oldest; among leads of one batch, one without an email, then
                -- by email: 006 took whichever the index returned first) ...
                case when d.email is null and d.linkedin_url is not null then (
                    select x.id from public.leads as x
                    where x.agency_id = target_agency and x.linkedin_url = d.linkedin_url
                    order by x.created_at, x.email nulls first, x.id
                    limit 1
                ) end,
                -- ... and a record with a new email completes a lead that has
                -- none (the EXISTS probe first: no sort where there is none).
                case
                    when d.email is not null and d.linkedin_url is not null and exists (
                        select from public.leads as x
                        where x.agency_id = target_agency and x.linkedin_url = d.linkedin_url
                            and x.email is null
                    ) then (
                        select x.id from public.leads as x
                        where x.agency_id = target_agency and x.linkedin_url = d.linkedin_url
                            and x.email is null
                        order by x.created_at, x.email nulls first, x.id
                        limit 1
                    )
                end,
                case when d.email is null and d.linkedin_url is null then (
                    select x.id from public.leads as x
                    where x.agency_id = target_agency
                        and x.email is null and x.linkedin_url is null
                        and coalesce(lower(x.last_name), '') = coalesce(lower(d.last_name), '')
                        and coalesce(lower(x.first_name), '') = coalesce(lower(d.first_name), '')
                        and coalesce(lower(x.company), '') = coalesce(lower(d.company), '')
                    order by x.created_at, x.email nulls first, x.id
                    limit 1
                ) end
            ) as lead_id
        from deduped as d
    ),

    merged as (
        update public.leads as l
        set
            email = coalesce(l.email, m.email),
            linkedin_url = coalesce(l.linkedin_url, m.linkedin_url),
            first_name = coalesce(l.first_name, m.first_name),
            last_name = coalesce(l.last_name, m.last_name),
            company = coalesce(l.company, m.company),
            title = coalesce(l.title, m.title),
            phone = coalesce(l.phone, m.phone),
            source = coalesce(l.source, m.source, store_leads.source),
            campaign_id = coalesce(l.campaign_id, store_leads.campaign_id),
            data_source_id = coalesce(l.data_source_id, store_leads.data_source_id),
            scraping_job_id = coalesce(l.scraping_job_id, store_leads.scraping_job_id),
            status = case
                when l.status = 'new' then coalesce(m.status::public.lead_status, l.status)
                else l.status
            end,
            qualification_status = case
                when l.qualification_status = 'pending'
                    then coalesce(
                        m.qualification_status::public.qualification_status, l.qualification_status
                    )
                else l.qualification_status
            end,
            qualification_reason = coalesce(l.qualification_reason, m.qualification_reason),
            metadata = m.metadata || l.metadata
        -- Rows are locked in id order (and new emails inserted in email
        -- order below), so concurrent upserts over overlapping leads queue
        -- behind each other instead of deadlocking. Two records of a batch
        -- may match one lead (say one by email, one by LinkedIn URL); a row
        -- is updated once per statement, so only one of them can fill it:
        -- the earlier one, as for in-batch duplicates. (006 left the choice
        -- to the join's order, which changes with the plan.)
        from (
            select distinct on (x.lead_id) x.*
            from matched as x
            where x.lead_id is not null
            order by x.lead_id, x.idx
        ) as m
        where l.id = m.lead_id
            and (
                (l.email is null and m.email is not null)
                or (l.linkedin_url is null and m.linkedin_url is not null)
                or (l.first_name is null and m.first_name is not null)
                or (l.last_name is null and m.last_name is not null)
                or (l.company is null and m.company is not null)
                or (l.title is null and m.title is not null)
                or (l.phone is null and m.phone is not null)
                or (l.source is null and coalesce(m.source, store_leads.source) is not null)
                or (l.campaign_id is null and store_leads.campaign_id is not null)
                or (l.data_source_id is null and store_leads.data_source_id is not null)
                or (l.scraping_job_id is null and store_leads.scraping_job_id is not null)
                or (l.status = 'new' and coalesce(m.status, 'new') <> 'new')
                or (
                    l.qualification_status = 'pending'
                    and coalesce(m.qualification_status, 'pending') <> 'pending'
                )
                or (l.qualification_reason is null and m.qualification_reason is not null)
                or (m.metadata || l.metadata) <> l.metadata
            )
        returning l.id
    ),

    created as (
        insert into public.leads as l (
            agency_id, campaign_id, email, first_name, last_name, company, title, linkedin_url,
            phone, source, status, qualification_status, qualification_reason, priority,
            metadata, data_source_id, scraping_job_id, created_by
        )
        select
            target_agency, store_leads.campaign_id, m.email, m.first_name, m.last_name,
            m.company, m.title, m.linkedin_url, m.phone, coalesce(m.source, store_leads.source),
            coalesce(m.status::public.lead_status, 'new'),
            coalesce(m.qualification_status::public.qualification_status, 'pending'),
            m.qualification_reason,
            coalesce(m.priority::public.lead_priority, 'medium'),
            m.metadata, store_leads.data_source_id, store_leads.scraping_job_id, caller
        from matched as m
        where m.lead_id is null
        order by m.email collate "C", m.idx
    )

    select
        -- Every new lead is inserted or the statement fails: no need to return them.
        (select count(*) from matched as m where m.lead_id is null)::integer,
        (select count(*) from merged)::integer,
        coalesce(
            (
                select jsonb_agg(jsonb_build_object('index', c.idx, 'reason', c.reason) order by c.idx)
                from checked as c where c.reason is not null
            ),
            '[]'::jsonb
        )
    into result.inserted, result.updated, result.rejections;

    return result;
end
$$;

revoke all on function private.store_leads(jsonb, integer[], uuid, uuid, text, uuid, uuid)
from public, anon;
grant execute on function private.store_leads(jsonb, integer[], uuid, uuid, text, uuid, uuid)
to authenticated, service_role;

-- The batch lead upsert: 010's contract (see there); the work is private.store_leads().
-- CREATE OR REPLACE keeps its grants.
create or replace function public.upsert_leads(
    records jsonb,
    campaign_id uuid default null,
    source text default null,
    data_source_id uuid default null,
    scraping_job_id uuid default null,
    agency_id uuid default null
) returns public.lead_upsert_result
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
    target_agency uuid;
    result public.lead_upsert_result;
    not_objects integer[] := '{}';
    attempts integer := 0;
    violated text;
begin
    if records is null or jsonb_typeof(records) <> 'array' then
        raise exception 'records must be a JSON array of lead objects'
            using errcode = '22023';
    end if;
    if jsonb_array_length(records) > 10000 then
        raise exception 'at most 10000 records per call, got %', jsonb_array_length(records)
            using errcode = '22023', hint = 'split the import into batches';
    end if;
    -- jsonb_to_recordset below needs objects: stand an empty object in for
    -- anything else and reject those positions (the rare path).
    if jsonb_path_exists(records, '$[*] ? (@.type() != "object")') then
        select
            array_agg(r.ordinality - 1) filter (where jsonb_typeof(r.value) <> 'object'),
            jsonb_agg(
                case when jsonb_typeof(r.value) = 'object' then r.value else '{}'::jsonb end
                order by r.ordinality
            )
        into not_objects, records
        from jsonb_array_elements(records) with ordinality as r (value, ordinality);
    end if;

    target_agency := coalesce(
        upsert_leads.agency_id,
        (select c.agency_id from public.campaigns as c where c.id = upsert_leads.campaign_id),
        (select j.agency_id from public.scraping_jobs as j where j.id = upsert_leads.scraping_job_id),
        (select private.current_agency_id())
    );
    if target_agency is null then
        raise exception 'agency_id is required'
            using errcode = '22023',
            hint = 'pass agency_id, or a campaign_id / scraping_job_id the caller can see';
    end if;

    -- A concurrent upsert may insert one of our new emails after our snapshot.
    -- The unique index then waits for that transaction and, once it commits,
    -- fails our insert; the attempt is rolled back to the block's savepoint
    -- and runs again on a fresh snapshot, which sees the other lead and merges
    -- into it. Each retry follows the commit of a rival that stored one of our
    -- emails, so a batch needs few; the bound only turns a pathological storm
    -- into an error the caller can retry.
    loop
        begin
            result := private.store_leads(
                records, not_objects, target_agency, upsert_leads.campaign_id,
                upsert_leads.source, upsert_leads.data_source_id, upsert_leads.scraping_job_id
            );
            exit;
        exception when unique_violation then
            get stacked diagnostics violated = constraint_name;
            if violated is distinct from 'leads_agency_email_key' then
                raise;
            end if;
            attempts := attempts + 1;
            -- Under REPEATABLE READ or SERIALIZABLE every attempt sees the same
            -- snapshot, which will never show the rival's lead: the transaction
            -- has to be retried, as with INSERT ... ON CONFLICT there.
            if attempts >= 100 or current_setting('transaction_isolation') <> 'read committed' then
                raise exception 'a concurrent import stored one of these emails first'
                    using errcode = '40001', hint = 'retry the transaction';
            end if;
        end;
    end loop;

    result.rejected := jsonb_array_length(result.rejections);
    result.unchanged := jsonb_array_length(records) - result.inserted - result.updated - result.rejected;
    return result;
end
$$;
