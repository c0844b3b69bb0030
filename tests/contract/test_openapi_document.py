"""The committed openapi.json: current, and precise enough to generate a client from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.resources import RESOURCES

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "openapi.json"


def _statuses() -> dict[str, set[str]]:
    """What each operation must declare. Every route reads or writes the database except
    the liveness probe; every resource's routes declare the same statuses."""
    statuses = {
        "healthCheck": {"200"},
        "readinessCheck": {"200", "503"},
        "publishPage": {"200", "401", "404", "412", "422", "503"},
    }
    for resource in RESOURCES:
        statuses[f"list{resource.plural_name}"] = {"200", "401", "422", "503"}
        statuses[f"get{resource.name}"] = {"200", "304", "401", "404", "422", "503"}
        if resource.writable:
            statuses[f"create{resource.name}"] = {"201", "401", "409", "413", "415", "422", "503"}
            statuses[f"update{resource.name}"] = {
                "200", "401", "404", "409", "412", "413", "415", "422", "503"
            }  # fmt: skip
            statuses[f"delete{resource.name}"] = {"204", "401", "404", "409", "412", "422", "503"}
    return statuses


STATUSES = _statuses()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text())


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for path in document["paths"].values()
        for operation in path.values()
    }


def test_the_committed_document_is_the_one_the_app_generates() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.openapi", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"


def test_operations_are_named_summarised_and_declare_every_status(
    document: dict[str, Any],
) -> None:
    operations = _operations(document)
    assert {name: set(op["responses"]) for name, op in operations.items()} == STATUSES
    for name, operation in operations.items():
        assert operation["summary"] and operation["tags"], name
        protected = "401" in operation["responses"]
        assert operation.get("security") == ([{"HTTPBearer": []}] if protected else None), name


def test_errors_have_the_detail_body(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name, operation in _operations(document).items():
        for status, response in operation["responses"].items():
            if int(status) < 400 or name == "readinessCheck":
                continue
            ref = response["content"]["application/json"]["schema"]["$ref"]
            schema = schemas[ref.rsplit("/", 1)[1]]
            assert "detail" in schema["properties"], (name, status)


def test_production_document_has_no_private_routes_or_duplicated_schemas(
    document: dict[str, Any],
) -> None:
    assert not [path for path in document["paths"] if "/private/" in path]
    schemas = document["components"]["schemas"]
    assert not [name for name in schemas if name.endswith(("-Input", "-Output"))]
    scheme = document["components"]["securitySchemes"]["HTTPBearer"]
    assert scheme | {"description": ""} == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "",
    }


def test_page_schemas_declare_strings_for_dates_decimals_and_bigints(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    public = schemas["Page"]["properties"]
    for field in ("createdAt", "updatedAt"):
        assert (public[field]["type"], public[field]["format"]) == ("string", "date-time")
    assert public["viewCount"]["type"] == "string"
    assert "string" in {option.get("type") for option in public["price"]["anyOf"]}
    for request in ("PageCreateInput", "PageUpdateInput"):
        price_types = {
            option.get("type") for option in schemas[request]["properties"]["price"]["anyOf"]
        }
        assert price_types == {"string", "null"}, request
    for name in ("Page", "PageCreateInput", "PageUpdateInput"):
        assert schemas[name]["examples"], name
