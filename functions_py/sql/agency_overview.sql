-- The demo's one query: the seeded agency's dashboard, computed by the database.
select public.get_agency_overview(%(agency_id)s::uuid) as overview;
