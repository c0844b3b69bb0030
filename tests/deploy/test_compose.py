"""The compose files: valid against the Compose specification, and consistent with the
repository and the image (no Docker engine needed)."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.dockerfile import parse_dockerfile

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
OVERRIDE = ROOT / "docker-compose.override.yml"


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def test_compose_files_follow_the_compose_specification():
    check = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
    result = subprocess.run(  # noqa: S603 - our own interpreter and files
        [*check, str(COMPOSE), str(OVERRIDE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_api_starts_after_a_healthy_database_and_the_migrations():
    services = load(COMPOSE)["services"]

    assert "healthcheck" in services["db"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["api"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert services["migrate"]["command"] == ["python", "-m", "app.cli.prisma_migrate"]


@pytest.mark.parametrize("path", [COMPOSE, OVERRIDE], ids=["compose", "override"])
def test_mounted_folders_and_image_modules_exist(path: Path):
    copied = {
        source
        for stage in parse_dockerfile(ROOT / "Dockerfile")
        for copy in stage.all("COPY")
        if "from" not in copy.flags
        for source in copy.args[:-1]
    }
    for name, service in load(path)["services"].items():
        for volume in service.get("volumes", []):
            # "./dir:/target[:ro]" or "${VARIABLE:-./dir}:/target[:ro]" (the default is checked)
            if volume.startswith("${"):
                variable, _, volume = volume[2:].partition("}")
                volume = variable.partition(":-")[2] + volume
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).is_dir(), f"{name} mounts {source}, which is missing"
        commands = [service.get("command") or [], service.get("healthcheck", {}).get("test", [])]
        for command in commands:
            if "-m" in command:
                module = command[command.index("-m") + 1]
                file = module.replace(".", "/") + ".py"
                shipped = any(file == c or file.startswith(f"{c}/") for c in copied)
                assert (ROOT / file).is_file() and shipped, f"{name} runs {module}"


def test_development_override_reloads_one_process():
    api = load(OVERRIDE)["services"]["api"]

    assert "--reload" in api["command"]
    assert api["environment"]["WEB_CONCURRENCY"] == "1"
    assert api["environment"]["ENVIRONMENT"] == "local"
