-- 007 The analytics behind GET /analytics/campaigns/:id and GET /analytics/leads, in the
-- spec's response shapes, so every client (PostgREST RPC, the SDK, the API) computes them the
-- same way. SECURITY INVOKER: the caller's RLS decides which leads count.

-- '7d' | '30d' | '90d' | '1y' -> interval; anything else is a 22023 naming the argument.
create function private.analytics_range(range text) returns interval
language plpgsql immutable
set search_path = ''
as $$
begin
    case range
        when '7d' then return interval '7 days';
        when '30d' then return interval '30 days';
        when '90d' then return interval '90 days';
        when '1y' then return interval '1 year';
        else
            raise exception 'invalid range "%"', range
                using errcode = '22023', hint = 'one of: 7d, 30d, 90d, 1y';
    end case;
end
$$;

-- Per-campaign analytics: metrics, a timeline of the leads created in the range (bucketed by
-- day, week or month, empty buckets included) and the status / qualification distribution.
create function public.get_campaign_analytics(
    campaign_id uuid, range text default '30d', group_by text default 'day'
) returns jsonb
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    since timestamptz := now() - private.analytics_range(range);
    bucket interval;
    campaign public.campaigns;
begin
    bucket := case group_by
        when 'day' then interval '1 day'
        when 'week' then interval '1 week'
        when 'month' then interval '1 month'
    end;
    if bucket is null then
        raise exception 'invalid group_by "%"', group_by
            using errcode = '22023', hint = 'one of: day, week, month';
    end if;
    select c.* into campaign from public.campaigns as c where c.id = get_campaign_analytics.campaign_id;
    if not found then
        raise exception 'campaign % not found', get_campaign_analytics.campaign_id
            using errcode = 'P0002', hint = 'it does not exist or you may not see it';
    end if;

    return jsonb_build_object(
        'campaign', jsonb_build_object(
            'id', campaign.id,
            'name', campaign.name,
            'status', campaign.status,
            'created_at', campaign.created_at
        ),
        'metrics', jsonb_build_object(
            'totalLeads', campaign.leads_count,
            'qualifiedLeads', campaign.qualified_leads_count,
            'qualificationRate', private.percent(campaign.qualified_leads_count, campaign.leads_count),
            'responseRate', private.percent(campaign.responded_count, campaign.contacted_count)
        ),
        'timeline', (
            select coalesce(jsonb_agg(jsonb_build_object(
                'date', b.bucket_start::date,
                'totalLeads', coalesce(t.total, 0),
                'qualified', coalesce(t.qualified, 0),
                'contacted', coalesce(t.contacted, 0),
                'responded', coalesce(t.responded, 0)
            ) order by b.bucket_start), '[]'::jsonb)
            from generate_series(
                date_trunc(group_by, since), date_trunc(group_by, now()), bucket
            ) as b (bucket_start)
            left join (
                select
                    date_trunc(group_by, l.created_at) as bucket_start,
                    count(*) as total,
                    count(*) filter (where l.qualification_status = 'qualified') as qualified,
                    count(*) filter (where l.last_contacted_at is not null) as contacted,
                    count(*) filter (where l.last_responded_at is not null) as responded
                from public.leads as l
                where l.campaign_id = campaign.id and l.created_at >= since
                group by 1
            ) as t on t.bucket_start = b.bucket_start
        ),
        'distribution', jsonb_build_object(
            'status', (
                select jsonb_object_agg(s.status, (
                    select count(*) from public.leads as l
                    where l.campaign_id = campaign.id and l.status = s.status
                ))
                from unnest(enum_range(null::public.lead_status)) as s (status)
            ),
            'qualification', (
                select jsonb_object_agg(q.status, (
                    select count(*) from public.leads as l
                    where l.campaign_id = campaign.id and l.qualification_status = q.status
                ))
                from unnest(enum_range(null::public.qualification_status)) as q (status)
            )
        )
    );
end
$$;

-- Lead analytics of an agency (default: the caller's) or one campaign, over the leads created
-- in the range: metrics, a breakdown by every status (zeros included), counts grouped by
-- status | qualification | campaign | source, and the agency's top five campaigns by leads.
create function public.get_lead_analytics(
    range text default '30d',
    group_by text default 'status',
    campaign_id uuid default null,
    agency_id uuid default null
) returns jsonb
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
    since timestamptz := now() - private.analytics_range(range);
    target_agency uuid := coalesce(
        get_lead_analytics.agency_id,
        (select c.agency_id from public.campaigns as c where c.id = get_lead_analytics.campaign_id),
        (select private.current_agency_id())
    );
begin
    if group_by not in ('status', 'qualification', 'campaign', 'source') then
        raise exception 'invalid group_by "%"', group_by
            using errcode = '22023', hint = 'one of: status, qualification, campaign, source';
    end if;
    if target_agency is null then
        raise exception 'agency_id is required'
            using errcode = '22023', hint = 'pass agency_id or a campaign_id the caller can see';
    end if;

    return (
        with scoped as (
            select l.*
            from public.leads as l
            where l.agency_id = target_agency
                and l.created_at >= since
                and (get_lead_analytics.campaign_id is null or l.campaign_id = get_lead_analytics.campaign_id)
        )

        select jsonb_build_object(
            'metrics', (
                select jsonb_build_object(
                    'total', count(*),
                    'qualified', count(*) filter (where s.qualification_status = 'qualified'),
                    'disqualified', count(*) filter (where s.qualification_status = 'disqualified'),
                    'qualificationRate', private.percent(
                        count(*) filter (where s.qualification_status = 'qualified'), count(*)
                    ),
                    'responseRate', private.percent(
                        count(*) filter (where s.last_responded_at is not null),
                        count(*) filter (where s.last_contacted_at is not null)
                    )
                )
                from scoped as s
            ),
            'statusBreakdown', (
                select jsonb_object_agg(e.status, (
                    select count(*) from scoped as s where s.status = e.status
                ))
                from unnest(enum_range(null::public.lead_status)) as e (status)
            ),
            'groupedData', (
                select coalesce(jsonb_object_agg(g.key, g.n), '{}'::jsonb)
                from (
                    select
                        coalesce(
                            case group_by
                                when 'status' then s.status::text
                                when 'qualification' then s.qualification_status::text
                                when 'campaign' then s.campaign_id::text
                                else s.source
                            end,
                            'none'
                        ) as key,
                        count(*) as n
                    from scoped as s
                    group by 1
                ) as g
            ),
            'topCampaigns', (
                select coalesce(jsonb_agg(to_jsonb(v) order by v.leads_count desc, v.name), '[]'::jsonb)
                from (
                    select
                        c.id, c.name, c.status, c.leads_count, c.qualified_leads_count,
                        c.contacted_count, c.responded_count
                    from public.campaigns as c
                    where c.agency_id = target_agency
                    order by c.leads_count desc, c.name
                    limit 5
                ) as v
            )
        )
    );
end
$$;

revoke all on function public.get_campaign_analytics(uuid, text, text) from public, anon;
revoke all on function public.get_lead_analytics(text, text, uuid, uuid) from public, anon;
grant execute on function public.get_campaign_analytics(uuid, text, text)
to authenticated, service_role;
grant execute on function public.get_lead_analytics(text, text, uuid, uuid)
to authenticated, service_role;
