"""The container image, checked without a Docker engine.

The Dockerfile is linted by hadolint, its build context is checked against
.dockerignore, and its two stages are replayed on this machine: the builder's
`uv sync` into an empty environment, the runtime's COPYs into an empty folder, then
the image's CMD and HEALTHCHECK run there against the test database.
"""

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from app.core.security import create_token
from tests.deploy.dockerfile import DockerIgnore, Stage, bind_mount_sources, parse_dockerfile
from tests.reliability.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
SECRET_KEY = "deploy-test-secret-key-" + "d" * 20


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    return {stage.name or stage.base: stage for stage in parse_dockerfile(DOCKERFILE)}


def test_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).parent / "hadolint"
    result = _run([str(hadolint), "--no-color", str(DOCKERFILE)], ROOT, dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr


def test_both_stages_use_the_same_python(stages: dict[str, Stage]):
    assert stages["builder"].base == stages["runtime"].base


def test_every_file_the_build_reads_is_in_the_build_context(stages: dict[str, Stage]):
    ignore = DockerIgnore(ROOT / ".dockerignore")
    sources = [
        source
        for stage in stages.values()
        for instruction in stage.instructions
        for source in (
            instruction.args[:-1]
            if instruction.keyword in ("COPY", "ADD") and "from" not in instruction.flags
            else bind_mount_sources(instruction)
            if instruction.keyword == "RUN"
            else []
        )
    ]
    assert "uv.lock" in sources and "app" in sources
    for source in sources:
        path = ROOT / source
        assert path.exists(), f"{source} is copied but does not exist"
        files = [p for p in path.rglob("*.py") if "__pycache__" not in p.parts] or [path]
        for file in files:
            relative = file.relative_to(ROOT).as_posix()
            assert not ignore.excludes(relative), f"{relative} is left out by .dockerignore"


def test_the_context_leaves_out_local_state():
    ignore = DockerIgnore(ROOT / ".dockerignore")
    for path in (
        ".venv/bin/python",
        ".env",
        ".data/pg/PG_VERSION",
        ".git/HEAD",
        "tests/conftest.py",
    ):
        assert ignore.excludes(path), path
    assert ignore.excludes("app/core/__pycache__/config.cpython-311.pyc")


def _expand(value: str, env: dict[str, str]) -> str:
    for name, replacement in env.items():
        value = value.replace(f"${{{name}}}", replacement)
    return value


def _build(stages: dict[str, Stage], tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Replay the build: the locked environment, the runtime files, the runtime ENV."""
    builder, runtime = stages["builder"], stages["runtime"]
    venv, context, image = tmp_path / "venv", tmp_path / "build", tmp_path / "app"
    context.mkdir()
    (sync,) = [i for i in builder.all("RUN") if bind_mount_sources(i)]
    for source in bind_mount_sources(sync):
        shutil.copy(ROOT / source, context / source)
    uv = os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    build_env = {
        **os.environ,
        **builder.env(),
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON": sys.executable,
        # Bytecode and copies make the image start faster; here they only cost time.
        "UV_COMPILE_BYTECODE": "0",
        "UV_LINK_MODE": "hardlink",
    }
    build_env.pop("VIRTUAL_ENV", None)
    command = shlex.split(" ".join(sync.args))
    assert command[:2] == ["uv", "sync"] and "--locked" in command and "--no-dev" in command
    synced = _run([uv, *command[1:]], context, build_env)
    assert synced.returncode == 0, synced.stderr

    image.mkdir()
    for copy in runtime.all("COPY"):
        if "from" in copy.flags:
            continue
        *sources, target = copy.args
        for source in sources:
            destination = (
                image / target / Path(source).name if target.endswith("/") else image / target
            )
            destination.parent.mkdir(parents=True, exist_ok=True)
            if (ROOT / source).is_dir():
                shutil.copytree(
                    ROOT / source, destination, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy(ROOT / source, destination)

    # The machine's PATH without this checkout's virtualenv: only the image's tools.
    path = [p for p in os.environ["PATH"].split(os.pathsep) if not p.startswith(str(ROOT))]
    env = {"PATH": os.pathsep.join(path), "HOME": str(tmp_path)}
    for name, value in runtime.env().items():
        env[name] = _expand(value, env).replace("/app/.venv", str(venv))
    return image, env


def test_the_image_serves_the_app_from_the_locked_runtime_environment(
    stages: dict[str, Stage], tmp_path: Path, database_url: str
):
    image, env = _build(stages, tmp_path)
    # The runtime environment has no test tools: the app's own dependencies carry it.
    assert not (venv_bin := Path(env["PATH"].split(os.pathsep)[0]) / "pytest").exists(), venv_bin
    env |= {
        "ENVIRONMENT": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
    }
    token = create_token(SECRET_KEY, "deploy-test", expires_in=timedelta(minutes=5))
    (cmd,) = stages["runtime"].all("CMD")
    (healthcheck,) = stages["runtime"].all("HEALTHCHECK")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    readiness = compose["services"]["api"]["healthcheck"]["test"]
    assert healthcheck.args[0] == readiness[0] == "CMD"

    server = subprocess.Popen(  # noqa: S603 - the image's own CMD
        cmd.args, cwd=image, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert _eventually_ok(healthcheck.args[1:], image, env, server), "never healthy"
        assert _run(readiness[1:], image, env).returncode == 0
        response = httpx.get(
            f"http://127.0.0.1:{env['PORT']}/api/v1/pages/?limit=1",
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "deploy-test-1"},
            timeout=30,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)

    assert response.status_code == 200
    assert server.returncode == 0, err[-3000:]
    lines = [json.loads(line) for line in err.splitlines()]  # every line is JSON
    assert any(line["message"].startswith("Started parent process") for line in lines)
    assert [
        (line["path"], line["status"], line["sub"])
        for line in lines
        if line["logger"] == "app.core.middleware" and line["request_id"] == "deploy-test-1"
    ] == [("/api/v1/pages/", 200, "deploy-test")]
    # SIGTERM: both workers ran their shutdown (the pool was disposed).
    assert sum(line["message"] == "Application shutdown complete." for line in lines) == 2
    assert SECRET_KEY not in out + err and token not in out + err


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Commands from the Dockerfile, the compose file and this test: no outside input.
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)  # noqa: S603


def _eventually_ok(
    command: list[str], cwd: Path, env: dict[str, str], server: subprocess.Popen[str]
) -> bool:
    for _ in range(120):  # workers import the app in parallel on a small machine
        if _run(command, cwd, env).returncode == 0:
            return True
        if server.poll() is not None:
            return False
        time.sleep(0.5)
    return False
