"""A real OSRM server on loopback, for the tests of :mod:`routing.osrm`.

OSRM's programs come from the PyPI wheel ``osrm-bindings`` (built for Python 3.12 and
later only), installed into the project's ``.osrm/`` virtual environment (git-ignored)
by ``.ci/run``, or by :func:`osrm_binaries` when a Python 3.12+ is on the machine.
``$OSRM_BIN`` names another folder holding ``osrm-extract``, ``osrm-contract`` and
``osrm-routed`` (and ``$OSRM_PROFILE`` another ``car.lua``).

Run as a script, it prepares an extract and serves it until interrupted::

    .venv/bin/python -m tests.osrm_server ../shared/data/monaco.osm.pbf
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".osrm"
#: The skip reason, the only one allowed (and a failure where CARPOOL_REQUIRE_OSRM is set).
NO_PYTHON = "no Python ≥ 3.12 exists on the machine (the osrm-bindings wheel, which ships OSRM, needs one)"


class OsrmUnavailable(RuntimeError):
    """OSRM cannot be installed, prepared or started here."""


@dataclass(frozen=True)
class OsrmBinaries:
    folder: Path
    profile: Path

    def tool(self, name: str) -> str:
        return str(self.folder / name)


def python_312() -> str | None:
    """A Python 3.12 or later: $OSRM_PYTHON, one on the PATH, or one of pyenv's."""
    candidates = [os.environ.get("OSRM_PYTHON", "")]
    candidates += [shutil.which(f"python3.{minor}") or "" for minor in range(12, 20)]
    for versions in (Path.home() / ".pyenv" / "versions", Path("/root/.pyenv/versions")):
        candidates += [str(p) for p in sorted(versions.glob("3.*/bin/python3"), reverse=True)]
    for candidate in filter(None, candidates):
        if _is_312_or_later(candidate):
            return candidate
    return None


def _is_312_or_later(python: str) -> bool:
    try:
        check = "import sys; sys.exit(sys.version_info < (3, 12))"
        done = subprocess.run([python, "-c", check], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def find_binaries() -> OsrmBinaries | None:
    """OSRM's programs in $OSRM_BIN, else in the wheel installed into ``.osrm/``."""
    configured = os.environ.get("OSRM_BIN")
    folders = [Path(configured)] if configured else sorted(VENV.glob("lib/python3*/site-packages/osrm/bin"))
    for folder in folders:
        if all((folder / tool).is_file() for tool in ("osrm-extract", "osrm-contract", "osrm-routed")):
            profile = Path(os.environ.get("OSRM_PROFILE", folder.parent / "share" / "profiles" / "car.lua"))
            if profile.is_file():
                return OsrmBinaries(folder, profile)
    return None


def install_wheel(python: str) -> None:
    """Make ``.osrm/`` with ``python`` and install osrm-bindings into it."""
    _run([python, "-m", "venv", str(VENV)])
    _run([str(VENV / "bin" / "pip"), "install", "-q", "osrm-bindings"])


def osrm_binaries() -> OsrmBinaries:
    """OSRM's programs, installing the wheel first if needed.

    Raises
    ------
    OsrmUnavailable
        With :data:`NO_PYTHON` when there is no Python 3.12+ to install it with.
    """
    found = find_binaries()
    if found is None and os.environ.get("OSRM_BIN"):
        raise OsrmUnavailable("no osrm-extract, osrm-contract, osrm-routed and car.lua in $OSRM_BIN")
    if found is None:
        python = python_312()
        if python is None:
            raise OsrmUnavailable(NO_PYTHON)
        install_wheel(python)
        found = find_binaries()
        if found is None:
            raise OsrmUnavailable(f"osrm-bindings was installed into {VENV} but its programs are not there")
    return found


def prepare(binaries: OsrmBinaries, extract: Path, folder: Path) -> Path:
    """Extract and contract ``extract`` into ``folder`` (for ``--algorithm ch``); the
    ``.osrm`` base name to serve."""
    local = folder / extract.name
    shutil.copy(extract, local)
    _run([binaries.tool("osrm-extract"), "-p", str(binaries.profile), str(local)], cwd=folder)
    base = folder / (extract.name.removesuffix(".osm.pbf") + ".osrm")
    _run([binaries.tool("osrm-contract"), str(base)], cwd=folder)
    return base


def free_port() -> int:
    """A TCP port of the loopback nobody listens on (just now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve(binaries: OsrmBinaries, base: Path, *, wait_s: float = 60.0) -> Iterator[str]:
    """Run osrm-routed on ``base`` on a free loopback port; its address, once it answers."""
    port = free_port()
    command = [binaries.tool("osrm-routed"), "--algorithm", "ch", "--ip", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([*command, str(base)], stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_answering(server, url, wait_s, log)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_answering(server: subprocess.Popen[bytes], url: str, wait_s: float, log: IO[bytes]) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise OsrmUnavailable(f"osrm-routed stopped (exit {server.returncode}): {_read(log)}")
        try:
            # Any HTTP answer means it listens; a bad request answers 400 at once.
            urllib.request.urlopen(f"{url}/nearest/v1/driving/0,0", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise OsrmUnavailable(f"osrm-routed did not answer within {wait_s:.0f} s: {_read(log)}")


def _read(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def _run(command: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise OsrmUnavailable(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")


if __name__ == "__main__":
    binaries = osrm_binaries()
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        base = prepare(binaries, Path(sys.argv[1]).resolve(), Path(folder))
        print(f"prepared in {time.monotonic() - started:.1f} s")
        with serve(binaries, base) as url:
            print(f"OSRM answers at {url} (Ctrl-C stops it)")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
