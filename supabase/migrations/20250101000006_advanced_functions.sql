-- 006 Advanced database functions: lead scoring, views, analytics, bulk
-- operations, the batch lead upsert and cache maintenance.

-- Lead score -----------------------------------------------------------------------
-- A transparent 0-100 score (README, "Lead score"):
--   profile completeness  email 15, phone 10, linkedin_url 5, title 5, company 5  (max 40)
--   engagement by status  new 0, contacted 10, nurturing 20, responded 25,
--                         qualified 30, converted 35                            (max 35)
--   qualification         qualified 15                                          (max 15)
--   priority              low 0, medium 4, high 7, urgent 10                    (max 10)
-- A disqualified lead (by status or qualification) scores 0.
create function private.lead_score(lead public.leads) returns integer
language sql immutable parallel safe
as $$
    select case
        when (lead).status = 'disqualified' or (lead).qualification_status = 'disqualified' then 0
        else
            (case when (lead).email is not null then 15 else 0 end)
            + (case when (lead).phone is not null then 10 else 0 end)
            + (case when (lead).linkedin_url is not null then 5 else 0 end)
            + (case when (lead).title is not null then 5 else 0 end)
            + (case when (lead).company is not null then 5 else 0 end)
            + (case (lead).status
                when 'contacted' then 10
                when 'nurturing' then 20
                when 'responded' then 25
                when 'qualified' then 30
                when 'converted' then 35
                else 0
            end)
            + (case when (lead).qualification_status = 'qualified' then 15 else 0 end)
            + (case (lead).priority
                when 'medium' then 4
                when 'high' then 7
                when 'urgent' then 10
                else 0
            end)
    end
$$;

create function public.calculate_lead_score(lead_id uuid) returns integer
language plpgsql stable
set search_path = ''
as $$
declare
    score integer;
begin
    select private.lead_score(l) into score from public.leads as l where l.id = lead_id;
    if not found then
        raise exception 'lead % not found', lead_id
            using errcode = 'P0002', hint = 'it does not exist or you may not see it';
    end if;
    return score;
end
$$;

-- Views (security_invoker: the caller's RLS applies) ---------------------------------
create view public.campaign_performance_view
with (security_invoker = true) as
select
    c.id as campaign_id,
    c.agency_id,
    c.name,
    c.status,
    c.start_date,
    c.end_date,
    c.created_at,
    c.leads_count,
    c.qualified_leads_count,
    c.contacted_count,
    c.responded_count,
    coalesce(l.converted_count, 0) as converted_count,
    coalesce(l.disqualified_count, 0) as disqualified_count,
    round(100.0 * c.qualified_leads_count / nullif(c.leads_count, 0), 2) as qualification_rate,
    round(100.0 * c.contacted_count / nullif(c.leads_count, 0), 2) as contact_rate,
    round(100.0 * c.responded_count / nullif(c.contacted_count, 0), 2) as response_rate,
    round(100.0 * coalesce(l.converted_count, 0) / nullif(c.leads_count, 0), 2) as conversion_rate,
    l.average_score
from public.campaigns as c
left join lateral (
    select
        count(*) filter (where x.status = 'converted') as converted_count,
        count(*) filter (
            where x.status = 'disqualified' or x.qualification_status = 'disqualified'
        ) as disqualified_count,
        round(avg(private.lead_score(x)), 1) as average_score
    from public.leads as x
    where x.campaign_id = c.id
) as l on true;

create view public.lead_pipeline_view
with (security_invoker = true) as
select
    l.agency_id,
    l.campaign_id,
    l.status,
    array_position(enum_range(null::public.lead_status), l.status) as stage_order,
    count(*) as lead_count,
    count(*) filter (where l.qualification_status = 'qualified') as qualified_count,
    count(*) filter (where l.priority in ('high', 'urgent')) as high_priority_count,
    round(avg(private.lead_score(l)), 1) as average_score
from public.leads as l
group by l.agency_id, l.campaign_id, l.status;

revoke all on public.campaign_performance_view, public.lead_pipeline_view from anon;
grant select on public.campaign_performance_view, public.lead_pipeline_view to authenticated;

-- Analytics ------------------------------------------------------------------------
-- Who may read an agency's aggregate figures: its staff, super admins, and
-- trusted processes (service_role, or a direct connection without a JWT).
-- Reads the caller's SET ROLE (PostgREST's role) since SECURITY DEFINER
-- functions see their owner as current_user.
create function private.can_read_agency_analytics(agency_id uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
    select case
        when current_setting('role') = 'anon' then false
        when current_setting('role') <> 'authenticated' then true
        else coalesce(agency_id = any(private.caller_agency_ids('{agency_admin,researcher}')), false)
    end
$$;

create function private.assert_can_read_agency_analytics(agency_id uuid) returns void
language plpgsql stable
set search_path = ''
as $$
begin
    if agency_id is null then
        raise exception 'agency_id is required' using errcode = '22023';
    end if;
    if not private.can_read_agency_analytics(agency_id) then
        raise exception 'not allowed to read analytics of agency %', agency_id
            using errcode = '42501', hint = 'agency staff and super admins only';
    end if;
end
$$;

create function private.percent(part numeric, whole numeric) returns numeric
language sql immutable parallel safe
as $$
    select coalesce(round(100.0 * part / nullif(whole, 0), 2), 0)
$$;

-- Per-campaign analytics: counters, rates, breakdowns. RLS applies.
create function public.get_campaign_performance(campaign_id uuid) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
    result jsonb;
begin
    select jsonb_build_object(
        'campaign_id', v.campaign_id,
        'agency_id', v.agency_id,
        'name', v.name,
        'status', v.status,
        'leads_count', v.leads_count,
        'qualified_leads_count', v.qualified_leads_count,
        'contacted_count', v.contacted_count,
        'responded_count', v.responded_count,
        'converted_count', v.converted_count,
        'disqualified_count', v.disqualified_count,
        'qualification_rate', coalesce(v.qualification_rate, 0),
        'contact_rate', coalesce(v.contact_rate, 0),
        'response_rate', coalesce(v.response_rate, 0),
        'conversion_rate', coalesce(v.conversion_rate, 0),
        'average_score', coalesce(v.average_score, 0),
        'status_breakdown', (
            select coalesce(jsonb_object_agg(s.status, s.n), '{}'::jsonb)
            from (
                select l.status, count(*) as n from public.leads as l
                where l.campaign_id = v.campaign_id group by l.status
            ) as s
        ),
        'priority_breakdown', (
            select coalesce(jsonb_object_agg(s.priority, s.n), '{}'::jsonb)
            from (
                select l.priority, count(*) as n from public.leads as l
                where l.campaign_id = v.campaign_id group by l.priority
            ) as s
        )
    )
    into result
    from public.campaign_performance_view as v
    where v.campaign_id = get_campaign_performance.campaign_id;
    if result is null then
        raise exception 'campaign % not found', campaign_id
            using errcode = 'P0002', hint = 'it does not exist or you may not see it';
    end if;
    return result;
end
$$;

-- Dashboard summary in the shape of GET /analytics/overview. Cached for five
-- minutes in analytics_cache; any write to the agency's data invalidates it.
create function public.get_agency_overview(agency_id uuid) returns jsonb
language plpgsql security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    key text := 'agency_overview:' || agency_id::text;
    result jsonb;
begin
    perform private.assert_can_read_agency_analytics(agency_id);
    select c.cache_value into result
    from public.analytics_cache as c
    where c.cache_key = key and c.expires_at > now();
    if found then
        return result;
    end if;

    select jsonb_build_object(
        'campaigns', (
            select jsonb_build_object(
                'total', count(*),
                'active', count(*) filter (where c.status = 'active'),
                'inactive', count(*) filter (where c.status <> 'active')
            )
            from public.campaigns as c where c.agency_id = get_agency_overview.agency_id
        ),
        'leads', (
            select jsonb_build_object(
                'total', count(*),
                'qualified', count(*) filter (where l.qualification_status = 'qualified'),
                'contacted', count(*) filter (where l.last_contacted_at is not null),
                'responded', count(*) filter (where l.last_responded_at is not null),
                'converted', count(*) filter (where l.status = 'converted'),
                'conversionRate', private.percent(
                    count(*) filter (where l.status = 'converted'), count(*)
                ),
                'responseRate', private.percent(
                    count(*) filter (where l.last_responded_at is not null),
                    count(*) filter (where l.last_contacted_at is not null)
                )
            )
            from public.leads as l where l.agency_id = get_agency_overview.agency_id
        ),
        'dataSources', (
            select jsonb_build_object(
                'total', count(*),
                'active', count(*) filter (where d.status = 'active'),
                'inactive', count(*) filter (where d.status <> 'active')
            )
            from public.data_sources as d where d.agency_id = get_agency_overview.agency_id
        ),
        'scraping', (
            select jsonb_build_object(
                'totalJobs', count(*),
                'successfulJobs', count(*) filter (where j.status = 'completed'),
                'runningJobs', count(*) filter (where j.status = 'running'),
                'pendingJobs', count(*) filter (where j.status = 'pending'),
                'totalRecordsScraped', coalesce(sum(j.records_processed), 0)
            )
            from public.scraping_jobs as j where j.agency_id = get_agency_overview.agency_id
        ),
        'trends', (
            -- Leads created in the last 30 days vs the 30 days before, in %.
            select jsonb_build_object(
                'leads', case
                    when t.previous = 0 and t.recent = 0 then 0
                    when t.previous = 0 then 100
                    else round(100.0 * (t.recent - t.previous) / t.previous, 2)
                end
            )
            from (
                select
                    count(*) filter (where l.created_at >= now() - interval '30 days') as recent,
                    count(*) filter (
                        where l.created_at < now() - interval '30 days'
                        and l.created_at >= now() - interval '60 days'
                    ) as previous
                from public.leads as l
                where l.agency_id = get_agency_overview.agency_id
                    and l.created_at >= now() - interval '60 days'
            ) as t
        )
    )
    into result;

    insert into public.analytics_cache (cache_key, cache_value, agency_id, expires_at)
    values (key, result, get_agency_overview.agency_id, now() + interval '5 minutes')
    on conflict (cache_key) do update
    set cache_value = excluded.cache_value,
        expires_at = excluded.expires_at,
        created_at = now();
    return result;
end
$$;

-- The agency's campaigns ranked by one metric. RLS applies (the view is
-- security_invoker).
create function public.get_top_campaigns(
    agency_id uuid, limit_count integer default 10, metric text default 'leads_count'
) returns setof public.campaign_performance_view
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    metrics constant text[] := array[
        'leads_count', 'qualified_leads_count', 'contacted_count', 'responded_count',
        'converted_count', 'qualification_rate', 'contact_rate', 'response_rate',
        'conversion_rate', 'average_score'
    ];
begin
    if not (metric = any(metrics)) then
        raise exception 'unknown metric "%"', metric
            using errcode = '22023', hint = 'one of: ' || array_to_string(metrics, ', ');
    end if;
    if limit_count is null or limit_count not between 1 and 100 then
        raise exception 'limit_count must be between 1 and 100, got %', limit_count
            using errcode = '22023';
    end if;
    return query execute format(
        'select v.* from public.campaign_performance_view as v where v.agency_id = $1 '
        'order by v.%I desc nulls last, v.name limit $2',
        metric
    ) using agency_id, limit_count;
end
$$;

-- Bulk operations --------------------------------------------------------------------
-- Sets the status of many leads at once; returns how many changed. RLS limits
-- the rows (invisible ids are skipped). user_id is the acting user recorded in
-- the audit log: an API caller may only name themselves, a trusted process may
-- act on behalf of anyone.
create function public.bulk_update_lead_status(
    lead_ids uuid[], new_status text, user_id uuid
) returns integer
language plpgsql
set search_path = ''
as $$
declare
    target_status public.lead_status;
    changed integer;
begin
    if new_status is null
        or not (new_status = any(enum_range(null::public.lead_status)::text[])) then
        raise exception 'invalid lead status "%"', new_status
            using errcode = '22023',
            hint = 'one of: ' || array_to_string(enum_range(null::public.lead_status)::text[], ', ');
    end if;
    target_status := new_status::public.lead_status;
    if lead_ids is null or cardinality(lead_ids) = 0 then
        return 0;
    end if;
    if cardinality(lead_ids) > 10000 then
        raise exception 'at most 10000 leads per call, got %', cardinality(lead_ids)
            using errcode = '22023';
    end if;
    if current_setting('role') = 'authenticated' and user_id is distinct from (select auth.uid()) then
        raise exception 'user_id must be the calling user' using errcode = '42501';
    end if;
    perform set_config('dashin.actor_id', coalesce(user_id::text, ''), true);
    update public.leads as l
    set status = target_status
    where l.id = any(lead_ids) and l.status is distinct from target_status;
    get diagnostics changed = row_count;
    return changed;
end
$$;

-- Batch lead upsert ---------------------------------------------------------------------
create type public.lead_upsert_result as (
    inserted integer,
    updated integer,
    unchanged integer,
    rejected integer,
    -- [{"index": <0-based position in the input>, "reason": "..."}]
    rejections jsonb
);

-- Upserts a JSON array of lead records for one agency (and optionally one
-- campaign, source, data source and job), in one statement:
--   * normalises email (lower/trim) and LinkedIn URL, trims text fields;
--   * rejects invalid records, each with its 0-based index and a reason;
--   * dedupes within the batch and against the agency's leads: by email,
--     else by LinkedIn URL (leads without an email), else by first + last name
--     + company (leads with neither);
--   * merges a duplicate into the existing lead by filling its empty fields,
--     never overwriting (metadata: existing keys win); a 'pending'
--     qualification or 'new' status counts as empty;
--   * returns inserted / updated (existing leads that changed) / unchanged
--     (duplicates that added nothing) / rejected counts.
-- RLS applies: a caller can only upsert into an agency they may write.
--
-- Speed matters here (it is every import's path): the records are parsed by
-- jsonb_to_recordset in C, validated with cheap jsonb operators, and only the
-- rare in-batch duplicate groups go through the ordered aggregates.
create function public.upsert_leads(
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
    -- Once per call: as the column default, auth.uid() would parse the JWT claims per row.
    caller constant uuid := (select auth.uid());
    result public.lead_upsert_result;
    not_objects integer[] := '{}';
    allowed_keys constant text[] := array[
        'email', 'first_name', 'last_name', 'company', 'title', 'linkedin_url', 'phone',
        'source', 'status', 'qualification_status', 'qualification_reason', 'priority', 'metadata'
    ];
    lead_statuses constant text[] := enum_range(null::public.lead_status)::text[];
    qualification_statuses constant text[] := enum_range(null::public.qualification_status)::text[];
    lead_priorities constant text[] := enum_range(null::public.lead_priority)::text[];
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

    -- MATERIALIZED: otherwise the planner folds this into `checked` and
    -- evaluates each normalisation twice (once for the value, once for the
    -- validation that reads it). Only normalised values leave it.
    with parsed as materialized (
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
            coalesce(by_email.id, by_linkedin.id, email_for_linkedin.id, by_name.id) as lead_id
        from deduped as d
        -- Each match is an index probe per record (LATERAL ... LIMIT 1), so
        -- even a generic cached plan never scans the agency's leads.
        left join lateral (
            select x.id from public.leads as x
            where d.email is not null and x.agency_id = target_agency and x.email = d.email
            limit 1
        ) as by_email on true
        -- A LinkedIn URL identifies a lead only where at most one side has
        -- an email (two different emails are two different leads): a record
        -- without an email matches any lead with its URL ...
        left join lateral (
            select x.id from public.leads as x
            where d.email is null and d.linkedin_url is not null
                and x.agency_id = target_agency and x.linkedin_url = d.linkedin_url
            order by x.created_at
            limit 1
        ) as by_linkedin on true
        -- ... and a record with a new email completes a lead that has none.
        left join lateral (
            select x.id from public.leads as x
            where by_email.id is null and d.email is not null and d.linkedin_url is not null
                and x.agency_id = target_agency and x.linkedin_url = d.linkedin_url
                and x.email is null
            order by x.created_at
            limit 1
        ) as email_for_linkedin on true
        left join lateral (
            select x.id from public.leads as x
            where d.email is null and d.linkedin_url is null
                and x.agency_id = target_agency
                and x.email is null and x.linkedin_url is null
                and coalesce(lower(x.last_name), '') = coalesce(lower(d.last_name), '')
                and coalesce(lower(x.first_name), '') = coalesce(lower(d.first_name), '')
                and coalesce(lower(x.company), '') = coalesce(lower(d.company), '')
            order by x.created_at
            limit 1
        ) as by_name on true
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
            source = coalesce(l.source, m.source, upsert_leads.source),
            campaign_id = coalesce(l.campaign_id, upsert_leads.campaign_id),
            data_source_id = coalesce(l.data_source_id, upsert_leads.data_source_id),
            scraping_job_id = coalesce(l.scraping_job_id, upsert_leads.scraping_job_id),
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
        -- behind each other instead of deadlocking.
        from (select x.* from matched as x where x.lead_id is not null order by x.lead_id) as m
        where l.id = m.lead_id
            and (
                (l.email is null and m.email is not null)
                or (l.linkedin_url is null and m.linkedin_url is not null)
                or (l.first_name is null and m.first_name is not null)
                or (l.last_name is null and m.last_name is not null)
                or (l.company is null and m.company is not null)
                or (l.title is null and m.title is not null)
                or (l.phone is null and m.phone is not null)
                or (l.source is null and coalesce(m.source, upsert_leads.source) is not null)
                or (l.campaign_id is null and upsert_leads.campaign_id is not null)
                or (l.data_source_id is null and upsert_leads.data_source_id is not null)
                or (l.scraping_job_id is null and upsert_leads.scraping_job_id is not null)
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
            target_agency, upsert_leads.campaign_id, m.email, m.first_name, m.last_name,
            m.company, m.title, m.linkedin_url, m.phone, coalesce(m.source, upsert_leads.source),
            coalesce(m.status, 'new')::public.lead_status,
            coalesce(m.qualification_status, 'pending')::public.qualification_status,
            m.qualification_reason,
            coalesce(m.priority, 'medium')::public.lead_priority,
            m.metadata, upsert_leads.data_source_id, upsert_leads.scraping_job_id, caller
        from matched as m
        where m.lead_id is null
        order by m.email collate "C", m.idx
        -- A concurrent upsert may have inserted the same email since our
        -- snapshot: merge into it the same way instead of failing.
        on conflict on constraint leads_agency_email_key do update
        set
            linkedin_url = coalesce(l.linkedin_url, excluded.linkedin_url),
            first_name = coalesce(l.first_name, excluded.first_name),
            last_name = coalesce(l.last_name, excluded.last_name),
            company = coalesce(l.company, excluded.company),
            title = coalesce(l.title, excluded.title),
            phone = coalesce(l.phone, excluded.phone),
            source = coalesce(l.source, excluded.source),
            campaign_id = coalesce(l.campaign_id, excluded.campaign_id),
            metadata = excluded.metadata || l.metadata
        returning (l.xmax = 0) as was_inserted
    )

    select
        (select count(*) from created as c where c.was_inserted)::integer,
        ((select count(*) from merged) + (select count(*) from created as c where not c.was_inserted))
            ::integer,
        coalesce(
            (
                select jsonb_agg(jsonb_build_object('index', c.idx, 'reason', c.reason) order by c.idx)
                from checked as c where c.reason is not null
            ),
            '[]'::jsonb
        )
    into result.inserted, result.updated, result.rejections;

    result.rejected := jsonb_array_length(result.rejections);
    result.unchanged := jsonb_array_length(records) - result.inserted - result.updated - result.rejected;
    return result;
end
$$;

-- Maintenance ---------------------------------------------------------------------------
-- Recomputes campaign counters from the leads (repair tool; the triggers keep
-- them exact). Returns the number of campaigns that were corrected.
create function public.recompute_campaign_metrics(campaign_id uuid default null) returns integer
language plpgsql
set search_path = ''
as $$
declare
    corrected integer;
begin
    update public.campaigns as c
    set leads_count = t.leads_count,
        qualified_leads_count = t.qualified_leads_count,
        contacted_count = t.contacted_count,
        responded_count = t.responded_count
    from (
        select
            x.id,
            count(l.id)::integer as leads_count,
            (count(*) filter (where l.qualification_status = 'qualified'))::integer
                as qualified_leads_count,
            (count(*) filter (where l.last_contacted_at is not null))::integer as contacted_count,
            (count(*) filter (where l.last_responded_at is not null))::integer as responded_count
        from public.campaigns as x
        left join public.leads as l on l.campaign_id = x.id
        where recompute_campaign_metrics.campaign_id is null or x.id = recompute_campaign_metrics.campaign_id
        group by x.id
    ) as t
    where c.id = t.id
        and (c.leads_count, c.qualified_leads_count, c.contacted_count, c.responded_count)
        is distinct from (t.leads_count, t.qualified_leads_count, t.contacted_count, t.responded_count);
    get diagnostics corrected = row_count;
    return corrected;
end
$$;

-- Deletes cache entries that expired more than days_old days ago; returns how
-- many. Scheduled by a trusted process (pg_cron on Supabase, or the worker).
create function public.archive_old_analytics_cache(days_old integer default 7) returns integer
language plpgsql
set search_path = ''
as $$
declare
    removed integer;
begin
    if days_old is null or days_old < 0 then
        raise exception 'days_old must be >= 0, got %', days_old using errcode = '22023';
    end if;
    delete from public.analytics_cache as c
    where c.expires_at < now() - make_interval(days => days_old);
    get diagnostics removed = row_count;
    return removed;
end
$$;

-- Function privileges -------------------------------------------------------------------
revoke all on function public.calculate_lead_score(uuid) from public, anon;
revoke all on function public.get_campaign_performance(uuid) from public, anon;
revoke all on function public.get_agency_overview(uuid) from public, anon;
revoke all on function public.get_top_campaigns(uuid, integer, text) from public, anon;
revoke all on function public.bulk_update_lead_status(uuid[], text, uuid) from public, anon;
revoke all on function public.upsert_leads(jsonb, uuid, text, uuid, uuid, uuid) from public, anon;
grant execute on function public.calculate_lead_score(uuid) to authenticated, service_role;
grant execute on function public.get_campaign_performance(uuid) to authenticated, service_role;
grant execute on function public.get_agency_overview(uuid) to authenticated, service_role;
grant execute on function public.get_top_campaigns(uuid, integer, text)
to authenticated, service_role;
grant execute on function public.bulk_update_lead_status(uuid[], text, uuid)
to authenticated, service_role;
grant execute on function public.upsert_leads(jsonb, uuid, text, uuid, uuid, uuid)
to authenticated, service_role;

revoke all on function public.recompute_campaign_metrics(uuid) from public, anon, authenticated;
revoke all on function public.archive_old_analytics_cache(integer) from public, anon, authenticated;
grant execute on function public.recompute_campaign_metrics(uuid) to service_role;
grant execute on function public.archive_old_analytics_cache(integer) to service_role;
