"""The demo region: Monaco and its French neighbours, ready to try the site on."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = ["DEMO_EXTRACT_SHA256", "DemoExtractUnavailable", "demo_extract"]

from ..paths import ROOT

#: monaco.osm.pbf as listed in shared/data/SHA256SUMS (© OpenStreetMap contributors, ODbL).
DEMO_EXTRACT_SHA256 = "36c0f0029ed838897322382611b67e8e5e7bcb07d5b17a25f3574dec54f1c23c"
#: The same file ships in this source distribution on PyPI (see shared/data/README.md).
_SDIST = "osrm-bindings==26.10.0"
_MEMBER = "osrm_bindings-26.10.0/test/data/monaco.osm.pbf"


class DemoExtractUnavailable(RuntimeError):
    """The demo extract is neither beside the project nor obtainable from PyPI."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def demo_extract(cache_dir: Path) -> Path:
    """Path of the demo extract: ``../shared/data/monaco.osm.pbf`` when present, else a
    copy in ``cache_dir`` taken once from the PyPI source distribution that ships it.

    Raises
    ------
    DemoExtractUnavailable
        If neither works, or the file is not the expected one.
    """
    shared = ROOT.parent / "shared" / "data" / "monaco.osm.pbf"
    if shared.is_file():
        return shared
    cached = cache_dir / "monaco.osm.pbf"
    if cached.is_file() and _sha256(cached) == DEMO_EXTRACT_SHA256:
        return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Only this package as source: its build tools still come as wheels.
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            "osrm-bindings",
            _SDIST,
            "-d",
            tmp,
        ]
        try:
            subprocess.run(command, check=True, capture_output=True)
            archive = next(Path(tmp).glob("*.tar.gz"))
            with tarfile.open(archive) as sdist:
                member = sdist.extractfile(_MEMBER)
                if member is None:
                    raise DemoExtractUnavailable(f"{_MEMBER} is not in {archive.name}")
                cached.write_bytes(member.read())
        except (subprocess.CalledProcessError, StopIteration, KeyError, tarfile.TarError) as error:
            raise DemoExtractUnavailable(
                f"cannot fetch the demo extract from PyPI ({_SDIST}): {error}"
            ) from error
    if _sha256(cached) != DEMO_EXTRACT_SHA256:
        cached.unlink()
        raise DemoExtractUnavailable("the demo extract fetched from PyPI is not the expected file")
    return cached
