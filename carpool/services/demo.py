"""The demo region: Monaco and its French neighbours, ready to try the site on."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from geopy.distance import geodesic
from sqlalchemy import select

from ..extensions import db
from ..i18n import site_zone
from ..models import Place
from ..paths import ROOT
from . import accounts
from .trips import StopInput, TripDraft, TripError, publish

__all__ = ["DEMO_EXTRACT_SHA256", "DEMO_PASSWORD", "DemoExtractUnavailable", "demo_extract", "seed_demo"]

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


#: Demo drivers: e-mail addresses on the reserved example.org domain.
DEMO_DRIVERS = ("Camille", "Dominique", "Sacha", "Claude", "Alix", "Lou", "Maxime", "Noa")
DEMO_PASSWORD = "covoiturage-demo"


def seed_demo(*, trips: int = 200, days: int = 30, seed: int = 2026) -> int:
    """Demo members and ``trips`` future trips between the region's places over the
    next ``days`` days; returns how many trips were published. Does nothing when the
    demo members already exist, so it can run at every start."""
    if accounts.find_by_email("camille@example.org") is not None:
        return 0
    drivers = []
    for name in DEMO_DRIVERS:
        user_id = accounts.register(
            accounts.Registration(
                email=f"{name.lower()}@example.org", display_name=name, password=DEMO_PASSWORD
            )
        )
        accounts.confirm_email(accounts.confirmation_token(user_id))
        drivers.append(user_id)
    stops = [StopInput(p.name, p.lat, p.lon) for p in db.session.scalars(select(Place).order_by(Place.id))]
    rng = random.Random(seed)
    zone = site_zone()
    first_day = datetime.now(UTC).astimezone(zone).date() + timedelta(days=1)
    published = attempts = 0
    while published < trips and attempts < trips * 5 and len(stops) >= 2:
        attempts += 1
        origin, destination = rng.sample(stops, 2)
        if geodesic((origin.lat, origin.lon), (destination.lat, destination.lon)).m < 1_500:
            continue
        via = (
            tuple(rng.sample([s for s in stops if s not in (origin, destination)], 1))
            if rng.random() < 0.2
            else ()
        )
        # Local times people commute and travel at, from tomorrow on.
        departure = datetime.combine(
            first_day + timedelta(days=rng.randrange(days)),
            time(rng.choice((7, 7, 8, 8, 9, 12, 14, 17, 17, 18, 18, 19)), rng.choice((0, 15, 30, 45))),
            zone,
        )
        draft = TripDraft(
            origin=origin,
            destination=destination,
            stopovers=via,
            departure=departure,
            seats=rng.randint(1, 4),
            max_detour_min=rng.choice((5, 10, 10, 15)),
        )
        try:
            publish(rng.choice(drivers), draft)
        except TripError:
            continue  # e.g. a place that routes to itself
        published += 1
    return published
