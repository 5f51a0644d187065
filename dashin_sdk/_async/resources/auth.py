"""``dx.auth``: sign in and out, and who the client acts as."""

from __future__ import annotations

from dashin_sdk import validation as v
from dashin_sdk._async.resources._base import AsyncResource
from dashin_sdk.errors import AuthenticationError, invalid_argument
from dashin_sdk.models.tables import UserProfile


class AsyncAuth(AsyncResource):
    table = "user_profiles"

    async def sign_in_with_password(self, email: str, password: str) -> UserProfile:
        """Act as this user from now on (over HTTP: Supabase Auth; direct: ``auth.users``)."""
        email = v.text_arg("email", email, max_length=320).strip()
        if "@" not in email:
            raise invalid_argument("email", f"not an email address: {email!r}")
        if not password:
            raise invalid_argument("password", "must not be empty")
        await self._backend.sign_in(email, password)
        return await self.current_user()

    async def sign_out(self) -> None:
        """Forget the session; the client goes back to its key's (or service) identity."""
        await self._backend.sign_out()

    async def current_user(self) -> UserProfile:
        """The signed-in (or impersonated) user's profile."""
        user_id = self._backend.identity.user_id
        if user_id is None:
            raise AuthenticationError(
                f"no user: this client acts as {self._backend.identity.role}", status=401
            )
        return await self._get(UserProfile, user_id)
