"""Who a call runs as: an API role and, for users, the JWT claims PostgREST would see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

ApiRole = Literal["anon", "authenticated", "service_role"]


@dataclass(frozen=True)
class Identity:
    role: ApiRole
    user_id: UUID | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def service(cls) -> Identity:
        return cls(role="service_role", claims={"role": "service_role"})

    @classmethod
    def user(cls, user_id: UUID) -> Identity:
        # Only ``sub`` and ``role`` matter: policies read agency and role from user_profiles.
        claims = {"sub": str(user_id), "role": "authenticated", "aud": "authenticated"}
        return cls(role="authenticated", user_id=user_id, claims=claims)


@dataclass(frozen=True)
class Caller:
    """What the database says about the identity: used to narrow queries to the own agency."""

    user_id: UUID | None
    agency_id: UUID | None
    role: str | None  # public.user_role, or None for service_role

    @property
    def sees_all_agencies(self) -> bool:
        return self.role in (None, "super_admin")
