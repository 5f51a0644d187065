"""Reusable pieces of the test suite (throwaway clusters, databases, the Supabase CLI)."""
