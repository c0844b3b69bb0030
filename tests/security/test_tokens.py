"""Every way a bearer token is refused: 401, a challenge, a reason, and no echo.

tests/api/test_auth.py covers expired, forged, `alg: none`, HS512, missing claims and
malformed tokens; these are the refusals it leaves out, on every protected route.
"""

import time

import jwt
import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from tests.api.conftest import SECRET_KEY, bearer, client_for

IN_AN_HOUR = int(time.time()) + 3600


def _token(**claims: object) -> str:
    return jwt.encode({"sub": "next", "exp": IN_AN_HOUR, **claims}, SECRET_KEY, algorithm="HS256")


def _swap_signature(token: str) -> str:
    """The token's claims, signed for another payload: a cut-and-paste forgery."""
    header, payload, _ = token.split(".")
    _, _, signature = _token(sub="someone-else").split(".")
    return f"{header}.{payload}.{signature}"


REFUSED_TOKENS = {
    "not valid before an hour from now": (_token(nbf=IN_AN_HOUR), "not valid yet"),
    "issued an hour from now": (_token(iat=IN_AN_HOUR), "not valid yet"),
    "exp as a string": (_token(exp="tomorrow"), "malformed"),
    "signature of another token": (_swap_signature(_token()), "signature is invalid"),
    "claims without a signature": (_token().rsplit(".", 1)[0] + ".", "signature is invalid"),
    "a huge token": ("a" * 64_000, "malformed"),
    "two tokens": (f"{_token()} {_token()}", "malformed"),
}


ROUTES = [
    ("GET", "/pages/"),
    ("POST", "/pages/"),
    ("GET", "/pages/some-id"),
    ("PUT", "/pages/some-id"),
    ("DELETE", "/pages/some-id"),
    ("GET", "/private/diagnostics/server"),  # local only, and never without a token
    ("GET", "/private/diagnostics/database"),
]


@pytest.mark.parametrize("case", REFUSED_TOKENS)
@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_refused_token_is_401_with_the_reason_on_every_route(
    anonymous: AsyncClient, case: str, method: str, path: str
) -> None:
    token, reason = REFUSED_TOKENS[case]
    response = await anonymous.request(
        method, path, json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert token not in response.text and token not in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    ("where", "name", "value"),
    [
        ("query", "access_token", "{token}"),  # RFC 6750's query form: not accepted
        ("cookie", "access_token", "{token}"),
        ("header", "X-Auth-Token", "{token}"),
        ("header", "Authorization", "Token {token}"),
        ("header", "Authorization", "{token}"),
        ("header", "Authorization", "Bearer "),
    ],
    ids=["query", "cookie", "other header", "other scheme", "no scheme", "empty"],
)
async def test_a_good_token_anywhere_but_the_bearer_header_is_401(
    app: FastAPI, where: str, name: str, value: str
) -> None:
    given = {name: value.format(token=bearer()["Authorization"].removeprefix("Bearer "))}
    async with client_for(
        app,
        params=given if where == "query" else None,
        headers=given if where == "header" else None,
        cookies=given if where == "cookie" else None,
    ) as client:
        response = await client.get("/pages/")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_the_scheme_name_is_case_insensitive(anonymous: AsyncClient) -> None:
    token = bearer()["Authorization"].removeprefix("Bearer ")
    response = await anonymous.get("/pages/", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200
