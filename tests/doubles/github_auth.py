"""Credentials and rate limits of the GitHub double.

* :class:`Token`: a personal access token or an installation token, with an
  access level (``read``/``write``/``admin``), an optional set of
  repositories and, for installation tokens, an owner and an expiry.
* :class:`Principal`: who a request acts as (anonymous, a token, or a
  GitHub App through its JWT).
* :class:`RateLimits`: GitHub's primary rate limits, one bucket per
  principal (per user for PATs, per installation, per client IP for
  anonymous callers) and per resource (``core``, ``search``), with the
  ``X-RateLimit-*`` headers and the 403 GitHub answers when one is empty.
* :func:`verify_app_jwt`: checks an app's RS256 JWT the way GitHub does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

from tests.doubles.github_state import ApiError, Repo

ACCESS_LEVELS = ("read", "write", "admin")
RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
CLIENT_IP = "127.0.0.1"
#: (limit, window in seconds) per resource, for authenticated callers.
LIMITS = {"core": (5000, 3600), "search": (30, 60), "graphql": (5000, 3600)}
#: The same for anonymous callers (GraphQL refuses them before counting).
ANONYMOUS_LIMITS = {"core": (60, 3600), "search": (10, 60), "graphql": (0, 3600)}
#: Longest a JWT may live, in seconds, counted from now.
JWT_MAX_LIFETIME = 600
JWT_UNDECODABLE = "A JSON web token could not be decoded"


@dataclass
class Token:
    """A credential the double accepts.

    ``repos`` (lower-case ``owner/name``) and ``owner`` restrict what the
    token may write to and which private repositories it sees; ``None``
    means no restriction.  ``expires_at`` is an epoch time, or ``None``.
    """

    value: str
    login: str
    access: str = "write"
    repos: frozenset[str] | None = None
    owner: str | None = None
    installation_id: int | None = None
    expires_at: float | None = None
    user_id: int = 0
    discussions: bool = True  # may read discussions (a fine-grained token or app needs that permission)

    def covers(self, repo: Repo) -> bool:
        """Whether the token was granted this repository."""
        owner_ok = self.owner is None or repo.owner.lower() == self.owner.lower()
        return owner_ok and (self.repos is None or repo.full_name.lower() in self.repos)

    @property
    def kind(self) -> str:
        """How GitHub names this kind of credential in 403 messages."""
        return "integration" if self.installation_id is not None else "personal access token"


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: nobody, a token, or the app itself (JWT)."""

    token: Token | None = None
    app_id: int | None = None

    @property
    def anonymous(self) -> bool:
        """No credential at all."""
        return self.token is None and self.app_id is None

    @property
    def bucket(self) -> str:
        """Key of the rate-limit bucket this principal spends."""
        if self.token is not None and self.token.installation_id is not None:
            return f"installation:{self.token.installation_id}"
        if self.token is not None:
            return f"user:{self.token.login.lower()}"
        return f"app:{self.app_id}" if self.app_id is not None else f"ip:{CLIENT_IP}"

    def can_read(self, repo: Repo) -> bool:
        """Public repositories, and private ones the token covers."""
        return not repo.private or (self.token is not None and self.token.covers(repo))

    def require_write(self, repo: Repo) -> None:
        """401 when anonymous, 403 when the token may not write there."""
        if self.token is None:
            raise ApiError(401, "Requires authentication")
        if self.token.access == "read" or not self.token.covers(repo):
            raise ApiError(403, f"Resource not accessible by {self.token.kind}")

    def access(self, repo: Repo) -> str | None:
        """Access level shown in a repository's ``permissions``."""
        if self.token is None:
            return None
        return self.token.access if self.token.covers(repo) else "read"


ANONYMOUS = Principal()


@dataclass
class Bucket:
    """One rate-limit window."""

    limit: int
    window: int
    reset_at: int
    used: int = 0

    @property
    def remaining(self) -> int:
        """Requests left in this window."""
        return max(0, self.limit - self.used)


@dataclass
class RateLimits:
    """GitHub's primary rate limits, configurable by tests."""

    clock: Callable[[], float]
    limits: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(LIMITS))
    anonymous_limits: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(ANONYMOUS_LIMITS))
    status: int = 403
    buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)

    def bucket(self, principal: Principal, resource: str) -> Bucket:
        """The current window of a principal for a resource."""
        key = (principal.bucket, resource)
        now = int(self.clock())
        bucket = self.buckets.get(key)
        if bucket is None or now >= bucket.reset_at:
            limit, window = (self.anonymous_limits if principal.anonymous else self.limits)[resource]
            bucket = self.buckets[key] = Bucket(limit, window, now + window)
        return bucket

    def spend(self, principal: Principal, resource: str) -> None:
        """Count one request, or raise GitHub's rate-limit error."""
        bucket = self.bucket(principal, resource)
        if bucket.used >= bucket.limit:
            raise ApiError(self.status, exceeded_message(principal), docs=RATE_DOCS)
        bucket.used += 1

    def refund(self, principal: Principal, resource: str) -> None:
        """Give back one request: GitHub does not count a 304 answer to a conditional request."""
        bucket = self.bucket(principal, resource)
        bucket.used = max(0, bucket.used - 1)

    def headers(self, principal: Principal, resource: str) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers of an answer."""
        bucket = self.bucket(principal, resource)
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": str(bucket.reset_at),
            "X-RateLimit-Used": str(bucket.used),
            "X-RateLimit-Resource": resource,
        }

    def configure(self, resource: str, limit: int, window: int | None = None, *, anonymous: bool = False) -> None:
        """Change a limit (and window) and restart that resource's windows."""
        table = self.anonymous_limits if anonymous else self.limits
        table[resource] = (limit, window or table[resource][1])
        self.buckets = {k: b for k, b in self.buckets.items() if k[1] != resource}

    def overview(self, principal: Principal) -> dict[str, Any]:
        """The body of ``GET /rate_limit``."""
        resources = {}
        for name in self.limits:
            bucket = self.bucket(principal, name)
            resources[name] = {
                "limit": bucket.limit,
                "remaining": bucket.remaining,
                "reset": bucket.reset_at,
                "used": bucket.used,
            }
        return {"resources": resources, "rate": resources["core"]}


def exceeded_message(principal: Principal) -> str:
    """GitHub's message for an exhausted primary rate limit."""
    if principal.anonymous:
        return (
            f"API rate limit exceeded for {CLIENT_IP}. (But here's the good news: Authenticated requests get a "
            "higher rate limit. Check out the documentation for more details.)"
        )
    if principal.token is not None and principal.token.installation_id is not None:
        return f"API rate limit exceeded for installation ID {principal.token.installation_id}."
    user_id = principal.token.user_id if principal.token is not None else principal.app_id
    return f"API rate limit exceeded for user ID {user_id}."


def credential(header: str | None) -> str | None:
    """The secret of an ``Authorization: token X`` / ``Bearer X`` header."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") and value.strip() else ""


def looks_like_jwt(secret: str) -> bool:
    """Three dot-separated parts, as a JWT has."""
    return secret.count(".") == 2


def verify_app_jwt(secret: str, app_id: int, public_key: str, now: float) -> None:
    """Check an app JWT: RS256 signature, ``iss``, ``iat``, ``exp``; else 401."""
    try:
        claims = jwt.decode(
            secret,
            public_key,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_iat": False, "require": ["iat", "exp", "iss"]},
        )
    except jwt.PyJWTError:
        raise ApiError(401, JWT_UNDECODABLE) from None
    if str(claims["iss"]) != str(app_id):
        raise ApiError(401, JWT_UNDECODABLE)
    if not isinstance(claims["iat"], int) or claims["iat"] > now + 60:
        raise ApiError(
            401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
        )
    if not isinstance(claims["exp"], int) or claims["exp"] <= now:
        raise ApiError(
            401,
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which "
            "the assertion expires",
        )
    if claims["exp"] > now + JWT_MAX_LIFETIME:
        raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future")
