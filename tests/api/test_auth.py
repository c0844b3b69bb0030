"""Bearer tokens: every refusal is a 401 with WWW-Authenticate; probes and docs are open."""

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from httpx import AsyncClient

from tests.api.conftest import SECRET_KEY, bearer


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _token(claims: dict, key: str = SECRET_KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


IN_AN_HOUR = datetime.now(UTC) + timedelta(hours=1)

REFUSED = {
    "expired": (
        _token({"sub": "next", "exp": datetime.now(UTC) - timedelta(minutes=5)}),
        "The token has expired",
    ),
    "signed with another key": (
        _token({"sub": "next", "exp": IN_AN_HOUR}, key="another-key-" + "y" * 32),
        "The token signature is invalid",
    ),
    "alg none": (
        f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': 'next', 'exp': 9999999999})}.",
        "The token must be signed with HS256",
    ),
    "HS512": (
        _token({"sub": "next", "exp": IN_AN_HOUR}, algorithm="HS512"),
        "The token must be signed with HS256",
    ),
    "no sub": (_token({"exp": IN_AN_HOUR}), "The token has no 'sub' claim"),
    "no exp": (_token({"sub": "next"}), "The token has no 'exp' claim"),
    "sub not a string": (_token({"sub": 42, "exp": IN_AN_HOUR}), "The token is malformed"),
    "malformed": ("not-a-jwt", "The token is malformed"),
}


@pytest.mark.parametrize("case", REFUSED)
async def test_a_bad_token_is_401_saying_why(anonymous: AsyncClient, case: str) -> None:
    token, reason = REFUSED[case]
    response = await anonymous.get("/pages/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json() == {"detail": reason}
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "Bearer"])
async def test_no_bearer_token_is_401_with_a_bare_challenge(
    anonymous: AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await anonymous.post("/pages/", json={}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/pages/x"), ("PUT", "/pages/x"), ("DELETE", "/pages/x"), ("GET", "/pages/")],
)
async def test_every_page_route_needs_a_token(
    anonymous: AsyncClient, method: str, path: str
) -> None:
    response = await anonymous.request(method, path, json={})
    assert response.status_code == 401


async def test_a_valid_token_is_accepted(anonymous: AsyncClient) -> None:
    response = await anonymous.get("/pages/", headers=bearer("user-42"))
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/utils/health-check", "/utils/ready", "/openapi.json"])
async def test_probes_and_the_document_need_no_token(anonymous: AsyncClient, path: str) -> None:
    response = await anonymous.get(path)
    assert response.status_code == 200


async def test_the_docs_page_needs_no_token(anonymous: AsyncClient) -> None:
    response = await anonymous.get("http://test/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
