"""The written guides stay true: the TypeScript in the Next.js client guide is the contract
test's own code, and every link between the README and docs/ leads to a file."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "nextjs-client.md"
CLIENT_SOURCES = ROOT / "tests" / "contract" / "src"
# [text](target), for targets inside the repository (no scheme, no page anchor only).
_LOCAL_LINK = re.compile(r"\]\((?!\w+://|#)([^)#\s]+)")


def test_the_guides_typescript_is_the_contract_tests_code() -> None:
    blocks = re.findall(r"```ts\n(.*?)```", GUIDE.read_text(), re.S)
    sources = {path.read_text(): path.name for path in CLIENT_SOURCES.glob("*.ts")}
    quoted = [sources[block] for block in blocks if block in sources]
    assert quoted == ["service-token.ts", "pages-api.ts", "actions.ts"]


def test_every_link_between_the_readme_and_the_docs_leads_to_a_file() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in _LOCAL_LINK.findall(page.read_text()):
            assert (page.parent / target).is_file(), f"{page.name} links to missing {target}"
