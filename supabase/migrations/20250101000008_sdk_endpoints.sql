-- Endpoints the SDK and the REST API call by name, so their rules live here
-- and behave the same over PostgREST and the direct connection:
--   get_analytics_overview   GET  /analytics/overview
--   record_lead_contact      POST /leads/:id/contact
--   record_data_source_test  POST /data-sources/:id/test (stores the outcome)

-- GET /analytics/overview: the agency dashboard plus its date range. Lead
-- trend = % change of leads created in the range against the range before.
create function public.get_analytics_overview(
    range text default '30d',
    agency_id uuid default null
) returns jsonb
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
    span interval := private.analytics_range(range);
    since timestamptz := now() - span;
    target_agency uuid := coalesce(
        get_analytics_overview.agency_id, (select private.current_agency_id())
    );
    overview jsonb;
    recent bigint;
    previous bigint;
begin
    if target_agency is null then
        raise exception 'agency_id is required'
            using errcode = '22023', hint = 'super admins pass the agency to show';
    end if;
    -- Checks the caller may read this agency's analytics; cached for 5 minutes.
    overview := public.get_agency_overview(target_agency);
    select
        count(*) filter (where l.created_at >= since),
        count(*) filter (where l.created_at < since)
    into recent, previous
    from public.leads as l
    where l.agency_id = target_agency and l.created_at >= since - span;
    overview := jsonb_set(
        overview, '{trends,leads}', to_jsonb(private.percent(recent - previous, previous))
    );
    return jsonb_build_object(
        'overview', overview,
        'dateRange', jsonb_build_object(
            'start', since, 'end', now(), 'range', range
        )
    );
end
$$;

-- POST /leads/:id/contact: one contact attempt. The lead moves from new to
-- contacted (and to responded when the contact was answered); the update
-- trigger stamps last_contacted_at / last_responded_at; the attempt is kept
-- in metadata.contact_history (newest last, at most 50). RLS applies.
create function public.record_lead_contact(
    lead_id uuid,
    channel text default null,
    note text default null,
    responded boolean default false
) returns public.leads
language plpgsql
set search_path = ''
as $$
declare
    result public.leads;
    attempt jsonb := jsonb_strip_nulls(jsonb_build_object(
        'at', now(), 'channel', channel, 'note', left(note, 2000), 'responded', responded
    ));
begin
    update public.leads as l set
        last_contacted_at = now(),
        last_responded_at = case when responded then now() else l.last_responded_at end,
        status = case
            when responded and l.status in ('new', 'contacted') then 'responded'
            when l.status = 'new' then 'contacted'
            else l.status
        end,
        metadata = jsonb_set(
            l.metadata, '{contact_history}',
            (
                select coalesce(jsonb_agg(h.entry order by h.n), '[]'::jsonb)
                from (
                    select e.entry, e.n
                    from jsonb_array_elements(
                        coalesce(l.metadata -> 'contact_history', '[]'::jsonb) || attempt
                    ) with ordinality as e (entry, n)
                    order by e.n desc
                    limit 50
                ) as h
            )
        )
    where l.id = record_lead_contact.lead_id
    returning l.* into result;
    if result.id is null then
        raise exception 'lead % not found', lead_id
            using errcode = 'P0002', hint = 'it does not exist or you may not change it';
    end if;
    return result;
end
$$;

-- POST /data-sources/:id/test: store a connection test's outcome. The test
-- itself runs where the credentials can be opened (worker, API); this only
-- records it, for agency staff allowed to manage the source or the service.
create function public.record_data_source_test(
    data_source_id uuid,
    success boolean,
    message text
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    tested_at timestamptz := now();
    source_agency uuid;
begin
    select d.agency_id into source_agency
    from public.data_sources as d where d.id = record_data_source_test.data_source_id;
    if source_agency is null then
        raise exception 'data source % not found', data_source_id using errcode = 'P0002';
    end if;
    if (select auth.role()) is distinct from 'service_role'
        and not source_agency = any(
            (select private.caller_agency_ids('{agency_admin,researcher}'))::uuid[]
        ) then
        raise exception 'not allowed to test data source %', data_source_id
            using errcode = '42501', hint = 'agency admins and researchers only';
    end if;
    update public.data_sources as d set
        last_test_at = tested_at,
        last_test_status = case when success then 'success' else 'failed' end,
        last_test_error = case when success then null else left(message, 2000) end,
        status = case
            when success and d.status = 'error' then 'active'::public.data_source_status
            when not success then 'error'::public.data_source_status
            else d.status
        end
    where d.id = record_data_source_test.data_source_id;
    return jsonb_build_object('success', success, 'message', message, 'timestamp', tested_at);
end
$$;

revoke all on function public.get_analytics_overview(text, uuid) from public, anon;
revoke all on function public.record_lead_contact(uuid, text, text, boolean) from public, anon;
revoke all on function public.record_data_source_test(uuid, boolean, text) from public, anon;
grant execute on function public.get_analytics_overview(text, uuid)
to authenticated, service_role;
grant execute on function public.record_lead_contact(uuid, text, text, boolean)
to authenticated, service_role;
grant execute on function public.record_data_source_test(uuid, boolean, text)
to authenticated, service_role;
