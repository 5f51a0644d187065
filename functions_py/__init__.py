"""Processes that run beside Supabase (CLI, API, workers), built only on ``dashin_sdk``."""
