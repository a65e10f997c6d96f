"""Who is calling: the user a validated token describes."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["User"]


@dataclass(frozen=True)
class User:
    """An authenticated caller. ``roles`` are the identity provider's (JWT) roles.

    ``email`` is for display and profiles and may be any address the token
    names. ``verified_email`` is set only when the identity provider vouches
    for the address (see ``AuthConfig``): use it, and only it, where an address
    grants access, such as assistant shares.
    """

    user_id: str
    email: str
    name: str
    roles: tuple[str, ...] = ()
    picture: str | None = None
    verified_email: str | None = None
    claims: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def email_domain(self) -> str:
        """The part of the email after ``@``, lowercased (empty when there is none)."""
        return self.email.rpartition("@")[2].lower() if "@" in self.email else ""
