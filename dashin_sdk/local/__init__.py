"""The local stack: a PostgreSQL 15 cluster with platform.sql, the migrations and the seed."""

from dashin_sdk.local.cluster import ClusterStatus, LocalCluster, database_url
from dashin_sdk.local.errors import (
    ClusterError,
    LocalStackError,
    MigrationError,
    PostgresNotFoundError,
    SupabaseDirNotFoundError,
)
from dashin_sdk.local.migrate import (
    MigrationFile,
    MigrationReport,
    SeedOutcome,
    discover_migrations,
    migrate,
)
from dashin_sdk.local.paths import SupabaseProject, find_supabase_project
from dashin_sdk.local.ports import free_port
from dashin_sdk.local.stack import LocalStack, StackSettings, StackStartResult

__all__ = [
    "ClusterError",
    "ClusterStatus",
    "LocalCluster",
    "LocalStack",
    "LocalStackError",
    "MigrationError",
    "MigrationFile",
    "MigrationReport",
    "PostgresNotFoundError",
    "SeedOutcome",
    "StackSettings",
    "StackStartResult",
    "SupabaseDirNotFoundError",
    "SupabaseProject",
    "database_url",
    "discover_migrations",
    "find_supabase_project",
    "free_port",
    "migrate",
]
