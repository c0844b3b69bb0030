"""Bearer tokens: HS256 JWTs signed with SECRET_KEY, `sub` and `exp` required.

The Next.js server mints one per call; this service only checks them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.algorithms import HMACAlgorithm

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.core.middleware import remember_caller

ALGORITHM = "HS256"
CLOCK_SKEW_SECONDS = 10

# Settings refuse short keys outside local; in local the placeholder key is accepted
# with one startup warning rather than a warning on every token.
warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)


class _HS256(HMACAlgorithm):
    """HS256 that vets a key once: PyJWT checks that the key is no PEM, SSH or JWK text on
    every token, a third of a token check. The signature is still computed every time."""

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._prepared: dict[str | bytes, bytes] = {}  # the settings' keys, never a token's

    def prepare_key(self, key: str | bytes) -> bytes:
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = super().prepare_key(key)
        return prepared


jwt.unregister_algorithm(ALGORITHM)
jwt.register_algorithm(ALGORITHM, _HS256())

bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="An HS256 JWT signed with SECRET_KEY, with `sub` and `exp` claims.",
)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's subject and all its claims."""

    subject: str
    claims: dict[str, Any]


def create_token(secret_key: str, subject: str, *, expires_in: timedelta) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject, "iat": now, "exp": now + expires_in}
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


def decode_token(secret_key: str, token: str) -> Caller:
    """The caller a token names; Unauthorized when it is expired, forged or malformed."""
    try:
        claims = jwt.decode(
            token,
            secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp"]},
            leeway=CLOCK_SKEW_SECONDS,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired", token_given=True) from None
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"The token has no '{exc.claim}' claim", token_given=True) from None
    except jwt.InvalidSignatureError:
        raise Unauthorized("The token signature is invalid", token_given=True) from None
    except jwt.ImmatureSignatureError:
        raise Unauthorized(
            "The token is not valid yet (its nbf or iat is in the future)", token_given=True
        ) from None
    except jwt.InvalidAlgorithmError:
        raise Unauthorized(f"The token must be signed with {ALGORITHM}", token_given=True) from None
    except jwt.InvalidTokenError:
        raise Unauthorized("The token is malformed", token_given=True) from None
    return Caller(subject=claims["sub"], claims=claims)


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Caller:
    if credentials is None:
        raise Unauthorized(
            "Not authenticated: send Authorization: Bearer <token>", token_given=False
        )
    settings: Settings = request.app.state.settings
    caller = decode_token(settings.SECRET_KEY.get_secret_value(), credentials.credentials)
    remember_caller(request, caller.subject)  # for the access line
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]
