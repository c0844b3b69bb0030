"""The document the Next.js side generates its client from."""

from httpx import AsyncClient


async def test_operations_have_stable_ids_and_declared_errors(anonymous: AsyncClient) -> None:
    document = (await anonymous.get("/openapi.json")).json()
    operations = {
        op["operationId"]: op for path in document["paths"].values() for op in path.values()
    }
    assert set(operations) >= {
        "listPages",
        "getPage",
        "createPage",
        "updatePage",
        "deletePage",
        "healthCheck",
        "readinessCheck",
    }
    assert set(operations["updatePage"]["responses"]) >= {
        "200",
        "401",
        "404",
        "409",
        "412",
        "413",
        "415",
        "422",
        "503",
    }
    assert operations["createPage"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in operations["healthCheck"]


async def test_page_schemas_use_prisma_field_names_and_types(anonymous: AsyncClient) -> None:
    schemas = (await anonymous.get("/openapi.json")).json()["components"]["schemas"]
    public = schemas["Page"]["properties"]
    assert "metadata" in public and "metadata_" not in public
    assert public["createdAt"]["format"] == "date-time"
    assert public["viewCount"]["type"] == "string"
    assert "metadata" in schemas["PageCreateInput"]["properties"]
    assert schemas["PageCreateInput"]["additionalProperties"] is False
