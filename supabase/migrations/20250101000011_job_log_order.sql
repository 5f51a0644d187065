-- Log lines keep the order they were written in. A worker inserts a batch of
-- lines in one statement; now() is the transaction's start time, so the whole
-- batch shared one created_at and read back in id (random) order.
-- clock_timestamp() advances row by row, so created_at orders them.
alter table public.scraping_job_logs
alter column created_at set default clock_timestamp();
