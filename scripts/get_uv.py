"""Fetch uv when neither uv nor a working `python3 -m venv` + pip is available.

Debian's `python3` refuses `pip install` outside a virtual environment and may lack
`ensurepip`; this needs only the standard library. It downloads the uv wheel for
this platform from the package index (`UV_INDEX_URL`/`PIP_INDEX_URL`, else PyPI),
checks its SHA-256 against the index, and unpacks the `uv` binary into DEST.

Usage: python3 scripts/get_uv.py DEST_DIR
"""

import hashlib
import io
import json
import os
import platform
import stat
import sys
import urllib.request
import zipfile
from pathlib import Path

UV_VERSION = os.environ.get("UV_VERSION", "0.13.9")
INDEX = (
    os.environ.get("UV_INDEX_URL") or os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple"
)
PLATFORM_TAGS = {
    ("Linux", "x86_64"): "manylinux",
    ("Linux", "aarch64"): "manylinux",
    ("Darwin", "x86_64"): "macosx",
    ("Darwin", "arm64"): "macosx",
}


def main(dest: Path) -> None:
    system, machine = platform.system(), platform.machine()
    tag = PLATFORM_TAGS.get((system, machine))
    if tag is None:
        sys.exit(f"no uv wheel known for {system}/{machine}: install uv yourself")
    if not INDEX.startswith(("https://", "http://")):
        sys.exit(f"package index must be an http(s) URL, not {INDEX!r}")
    # S310: the scheme is checked just above.
    request = urllib.request.Request(  # noqa: S310
        f"{INDEX.rstrip('/')}/uv/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        files = json.load(response)["files"]
    arch = "x86_64" if machine == "x86_64" else ("aarch64" if system == "Linux" else "arm64")
    wheels = [
        f
        for f in files
        if f["filename"].startswith(f"uv-{UV_VERSION}-")
        and f["filename"].endswith(".whl")
        and tag in f["filename"]
        and arch in f["filename"]
        and "musl" not in f["filename"]
        and not f.get("yanked")
    ]
    if not wheels:
        sys.exit(f"the package index lists no uv {UV_VERSION} wheel for this platform")
    wheel = wheels[-1]
    with urllib.request.urlopen(wheel["url"], timeout=300) as response:  # noqa: S310
        payload = response.read()
    if hashlib.sha256(payload).hexdigest() != wheel["hashes"]["sha256"]:
        sys.exit(f"checksum mismatch for {wheel['filename']}")
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        member = next(n for n in archive.namelist() if n.endswith("/scripts/uv"))
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / "uv"
        target.write_bytes(archive.read(member))
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    print(f"installed {wheel['filename']} -> {target}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        main(Path(sys.argv[1]))
    except OSError as exc:  # URLError, timeouts, refused or reset connections
        reason = getattr(exc, "reason", None) or exc.strerror or exc
        sys.exit(
            f"cannot fetch uv from {INDEX} ({reason}): check the network or set UV_INDEX_URL, "
            "or install uv yourself and run make again"
        )
