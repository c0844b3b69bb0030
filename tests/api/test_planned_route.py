"""A planned route answers every request exactly as FastAPI's own handler does for the
same declarations, and routes it cannot plan keep FastAPI's handler."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from app.api.planned_route import PlannedRoute
from app.core.http_errors import http_error, validation_error
from app.core.security import Caller, current_caller


class Note(BaseModel):
    text: Annotated[str, Field(min_length=1)]
    stars: int = 0


class Visitor(BaseModel):
    name: str


calls: list[str] = []


async def caller(request: Request) -> Visitor:
    calls.append("caller")
    name = request.headers.get("x-caller")
    if not name:
        raise HTTPException(401, "who are you?")
    return Visitor(name=name)


async def needs_caller(who: Annotated[Visitor, Depends(caller)]) -> str:
    return who.name.upper()


async def with_cleanup() -> AsyncIterator[str]:
    yield "cleaned"


def build(route_class: type[APIRoute]) -> FastAPI:
    app = FastAPI()
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    router = APIRouter(route_class=route_class, dependencies=[Depends(caller)], max_body_size=64)

    @router.put(
        "/notes/{id}", status_code=200, response_model=Note, response_model_exclude_unset=True
    )
    async def put_note(
        id: Annotated[int, Path(ge=1)],
        note: Note,
        response: Response,
        who: Annotated[Visitor, Depends(caller)],
        shout: Annotated[str, Depends(needs_caller)],
        if_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        response.headers["X-Who"] = f"{who.name}/{shout}/{if_match}"
        if note.text == "teapot":
            return Response(status_code=418)
        if note.text == "accepted":
            response.status_code = 202
        return {"text": note.text}

    @router.delete("/notes/{id}", status_code=204)
    async def delete_note(id: int, x_tenant: Annotated[int, Header()]) -> None:
        return None

    @router.get("/cleanup")
    async def cleanup(value: Annotated[str, Depends(with_cleanup)]) -> dict[str, str]:
        return {"value": value}

    app.router.routes.extend(router.routes)
    return app


REQUESTS: list[tuple[str, str, dict[str, str], bytes | None]] = [
    ("PUT", "/notes/1", {"x-caller": "ada"}, b'{"text": "hi"}'),
    ("PUT", "/notes/1", {"x-caller": "ada", "if-match": '"v1"'}, b'{"text": "hi", "stars": 2}'),
    ("PUT", "/notes/1", {"x-caller": "ada"}, b'{"text": "accepted"}'),
    ("PUT", "/notes/1", {"x-caller": "ada"}, b'{"text": "teapot"}'),
    ("PUT", "/notes/0", {"x-caller": "ada"}, b'{"text": ""}'),  # path and body errors
    ("PUT", "/notes/x", {"x-caller": "ada"}, b'{"text": "hi"}'),
    ("PUT", "/notes/1", {"x-caller": "ada"}, b'{"text": '),  # broken JSON
    ("PUT", "/notes/1", {"x-caller": "ada"}, b"\xff\xfe"),  # not UTF-8
    ("PUT", "/notes/1", {"x-caller": "ada"}, b"[" * 5000 + b"]" * 5000),  # too deep
    ("PUT", "/notes/1", {"x-caller": "ada"}, None),  # no body
    ("PUT", "/notes/1", {"x-caller": "ada", "content-type": "text/plain"}, b"hi"),
    ("PUT", "/notes/1", {}, b'{"text": "hi"}'),  # the dependency refuses
    ("PUT", "/notes/1", {"x-caller": "ada"}, b'{"text": "' + b"x" * 100 + b'"}'),  # over 64
    ("DELETE", "/notes/1", {"x-caller": "ada", "x-tenant": "7"}, None),
    ("DELETE", "/notes/1", {"x-caller": "ada"}, None),  # a required header missing
    ("DELETE", "/notes/1", {"x-caller": "ada", "x-tenant": "seven"}, None),
    ("GET", "/cleanup", {"x-caller": "ada"}, None),
]


@pytest.mark.parametrize(("method", "path", "headers", "body"), REQUESTS)
async def test_a_planned_route_answers_as_fastapi_does(
    method: str, path: str, headers: dict[str, str], body: bytes | None
) -> None:
    answers = []
    for route_class in (APIRoute, PlannedRoute):
        app = build(route_class)
        sent = dict(headers)
        if body is not None:
            sent.setdefault("content-type", "application/json")
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            calls.clear()
            response = await client.request(method, path, headers=sent, content=body)
        answers.append(
            (response.status_code, response.content, dict(response.headers), list(calls))
        )
    assert answers[1] == answers[0]


def test_only_routes_it_can_plan_leave_fastapi_s_handler() -> None:
    app = build(PlannedRoute)
    planned = {
        route.path + " " + ",".join(route.methods or ()): route.planned
        for route in app.routes
        if isinstance(route, PlannedRoute)
    }
    assert planned == {
        "/notes/{id} PUT": True,
        "/notes/{id} DELETE": True,
        "/cleanup GET": False,  # a dependency with yield needs FastAPI's exit stacks
    }


async def test_an_app_s_dependency_overrides_reach_the_resource_routes(
    app: FastAPI, anonymous: AsyncClient
) -> None:
    assert (await anonymous.get("/users/")).status_code == 401
    app.dependency_overrides[current_caller] = lambda: Caller("tests", {})
    try:
        response = await anonymous.get("/users/", params={"limit": 1})
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 200
    assert (await anonymous.get("/users/")).status_code == 401
