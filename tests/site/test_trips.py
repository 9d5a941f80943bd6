"""Publishing trips: rules, routing, fair contribution."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy import update as update_rows

from carpool.extensions import db
from carpool.models import Trip, TripCell, User
from carpool.services.trips import (
    NotYourTrip,
    StopInput,
    TripDraft,
    TripError,
    TripNotFound,
    TripOptions,
    cancel,
    contribution_ceiling_cents,
    get_trip,
    publish,
    reindex,
    suggested_contribution_cents,
    update,
)

PALACE = StopInput("Monaco-Ville", 43.7311, 7.4197)
CASINO = StopInput("Monte-Carlo", 43.7395, 7.4282)
LARVOTTO = StopInput("Larvotto", 43.7476, 7.4336)
PARIS = ZoneInfo("Europe/Paris")
TOMORROW = datetime.combine(datetime.now(PARIS).date() + timedelta(days=1), time(8, 0), PARIS)


def draft(**changes: object) -> TripDraft:
    values: dict[str, object] = {
        "origin": PALACE,
        "destination": LARVOTTO,
        "departure": TOMORROW,
        "seats": 3,
        "max_detour_min": 10,
    }
    values.update(changes)
    return TripDraft(**values)  # type: ignore[arg-type]


def test_publish_routes_and_stores_the_trip(app: Flask, driver: int) -> None:
    with app.app_context():
        trip_id = publish(driver, draft(stopovers=(CASINO,), comment="  Bagages légers  "))
        trip = db.session.get(Trip, trip_id)
        assert trip is not None
        assert [s.name for s in trip.stops] == ["Monaco-Ville", "Monte-Carlo", "Larvotto"]
        offsets = [s.offset_s for s in trip.stops]
        assert offsets[0] == 0 and offsets == sorted(offsets) and offsets[-1] == pytest.approx(trip.time_s)
        assert 2_000 < trip.length_m < 6_000
        assert trip.max_detour_s == 600 and trip.seats == 3 and trip.comment == "Bagages légers"
        assert trip.departure_at.replace(tzinfo=trip.departure_at.tzinfo or UTC) == TOMORROW
        # The suggested contribution is never above the cost-sharing ceiling.
        assert 0 <= trip.contribution_cents <= contribution_ceiling_cents(trip.length_m)
        assert trip.currency == "EUR"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"departure": TOMORROW - timedelta(days=3)}, "La date de départ doit être dans le futur."),
        ({"departure": TOMORROW.replace(tzinfo=None)}, "fuseau horaire"),
        ({"departure": TOMORROW + timedelta(days=400)}, "un an à l’avance"),
        ({"seats": 0}, "entre 1 et 8 places"),
        ({"seats": 100}, "entre 1 et 8 places"),
        ({"max_detour_min": -5}, "de 0 à 60 minutes"),
        ({"stopovers": (CASINO,) * 7}, "au plus 6 étapes"),
        ({"contribution_cents": -1}, "ne peut pas être négative"),
        ({"contribution_cents": 100_000}, "le conducteur ne fait aucun bénéfice"),
        ({"destination": StopInput("Paris", 48.8566, 2.3522)}, "en dehors de la région couverte"),
        ({"destination": PALACE}, "au même endroit"),
    ],
)
def test_publish_refuses_broken_rules_with_a_clear_message(
    app: Flask, driver: int, changes: dict[str, object], message: str
) -> None:
    with app.app_context():
        with pytest.raises(TripError) as refused:
            publish(driver, draft(**changes))
        with app.test_request_context(), force_locale("fr"):
            assert message in str(refused.value.message)
        assert db.session.query(Trip).count() == 0  # nothing half-stored


def test_contribution_ceiling_is_enforced(app: Flask, driver: int) -> None:
    with app.app_context():
        trip_id = publish(driver, draft())
        trip = db.session.get(Trip, trip_id)
        assert trip is not None
        ceiling = contribution_ceiling_cents(trip.length_m)
        assert publish(driver, draft(contribution_cents=ceiling)) > trip_id
        with pytest.raises(TripError):
            publish(driver, draft(contribution_cents=ceiling + 1))


@pytest.mark.parametrize(
    ("length_m", "suggested", "ceiling"),
    [
        (700, 0, 7),  # 0.07 € at 0.10 €/km: exact, not 6 cents as floats would say
        (2_900, 0, 29),
        (8_333, 50, 83),  # 0.49998 € rounds to 0.50 €
        (41_700, 250, 417),
        (100_000, 600, 1_000),
    ],
)
def test_contribution_arithmetic_is_exact(app: Flask, length_m: int, suggested: int, ceiling: int) -> None:
    # Defaults: 0.06 €/km suggested, 0.10 €/km ceiling.
    with app.app_context():
        assert suggested_contribution_cents(length_m) == suggested
        assert contribution_ceiling_cents(length_m) == ceiling
        assert suggested_contribution_cents(length_m) % 50 == 0


def test_options_are_stored_and_checked(app: Flask, driver: int) -> None:
    options = TripOptions(luggage="large", pets=True, smoking=False, max_two_back=True)
    with app.app_context():
        view = get_trip(publish(driver, draft(options=options)))
        assert view.options == options
        with pytest.raises(TripError):
            publish(driver, draft(options=TripOptions(luggage="trunk")))


def test_the_return_trip_is_published_with_the_outward_one(app: Flask, driver: int) -> None:
    back = TOMORROW + timedelta(hours=9)
    with app.app_context():
        outward_id = publish(driver, draft(stopovers=(CASINO,)), return_departure=back)
        outward = get_trip(outward_id)
        assert outward.return_id is not None and outward.outward_id is None
        returning = get_trip(outward.return_id)
        assert returning.outward_id == outward_id
        assert [s.name for s in returning.stops] == ["Larvotto", "Monte-Carlo", "Monaco-Ville"]
        assert returning.stops[0].at == back and returning.seats == outward.seats


def test_a_return_before_the_arrival_publishes_nothing(app: Flask, driver: int) -> None:
    with app.app_context():
        with pytest.raises(TripError) as refused:
            publish(driver, draft(), return_departure=TOMORROW + timedelta(minutes=1))
        with app.test_request_context(), force_locale("fr"):
            assert "après l’arrivée de l’aller" in str(refused.value.message)
        assert db.session.query(Trip).count() == 0


def test_the_driver_changes_a_trip_and_its_index_follows(app: Flask, driver: int) -> None:
    with app.app_context():
        trip_id = publish(driver, draft(max_detour_min=0))
        cells_before = db.session.scalar(select(func.max(TripCell.latest_s)))
        update(trip_id, driver, draft(destination=CASINO, seats=1, max_detour_min=0))
        view = get_trip(trip_id)
        assert view.seats == 1 and [s.name for s in view.stops] == ["Monaco-Ville", "Monte-Carlo"]
        trip = db.session.get(Trip, trip_id)
        assert trip is not None and trip.updated_at is not None and trip.length_m < 3_000
        # The index follows the new, shorter route: the driver passes by sooner.
        latest = db.session.scalar(select(func.max(TripCell.latest_s)).where(TripCell.trip_id == trip_id))
        assert _cells(trip_id) and latest is not None and latest <= trip.time_s < cells_before


def test_only_the_driver_changes_or_cancels_and_only_before_leaving(app: Flask, driver: int) -> None:
    with app.app_context():
        other = User(email="other@example.org", display_name="Dominique", password_hash="-")
        db.session.add(other)
        db.session.commit()
        trip_id = publish(driver, draft())
        with pytest.raises(NotYourTrip):
            update(trip_id, other.id, draft())
        with pytest.raises(NotYourTrip):
            cancel(trip_id, other.id)
        with pytest.raises(TripNotFound):
            cancel(trip_id + 100, driver)
        with pytest.raises(TripError):  # it has left by then
            cancel(trip_id, driver, now=TOMORROW + timedelta(minutes=5))


def test_a_cancelled_trip_leaves_the_index_and_keeps_its_page(app: Flask, driver: int) -> None:
    with app.app_context():
        trip_id = publish(driver, draft())
        assert _cells(trip_id)
        cancel(trip_id, driver, "  Panne de voiture  ")
        view = get_trip(trip_id)
        assert view.status == "cancelled" and view.cancel_reason == "Panne de voiture"
        assert _cells(trip_id) == set()
        with pytest.raises(TripError):
            cancel(trip_id, driver)
        with pytest.raises(TripError):
            update(trip_id, driver, draft())


def test_reindex_routes_and_indexes_trips_still_to_come(app: Flask, driver: int) -> None:
    with app.app_context():
        trip_id = publish(driver, draft())
        report = reindex()
        assert (report.indexed, report.unroutable) == (1, 0) and _cells(trip_id)


def index_rows() -> set[tuple[object, ...]]:
    """Every row of the search index, as plain values."""
    columns = (TripCell.trip_id, TripCell.cell, TripCell.earliest_s, TripCell.latest_s)
    more = (TripCell.pickup_from, TripCell.pickup_until, TripCell.subcells)
    return {tuple(row) for row in db.session.execute(select(*columns, *more))}


def test_reindex_goes_batch_by_batch_and_indexes_as_publishing_did(
    app: Flask, driver: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch after batch (each committed), the index is what publishing made; a trip
    whose stops are not in the region any more leaves it."""
    from carpool.models import TripStop
    from carpool.services import trips as trips_service

    monkeypatch.setattr(trips_service, "REINDEX_BATCH", 2)
    with app.app_context():
        ids = [publish(driver, draft(departure=TOMORROW + timedelta(hours=k))) for k in range(5)]
        published = index_rows()
        assert {row[0] for row in published} == set(ids)
        lyon = {"lat": 45.76, "lon": 4.84}  # as if its stops were now outside the region
        db.session.execute(update_rows(TripStop).where(TripStop.trip_id == ids[2]).values(**lyon))
        db.session.commit()
        report = reindex()
        assert (report.indexed, report.unroutable) == (4, 1)
        assert index_rows() == {row for row in published if row[0] != ids[2]}


def _cells(trip_id: int) -> set[int]:
    return set(db.session.scalars(select(TripCell.cell).where(TripCell.trip_id == trip_id)))


def test_no_trip_is_longer_than_the_search_index_counts_on(
    app: Flask, driver: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search index finds a driver in a cell at most ``LONGEST_TRIP`` after they
    can first be there: a trip that takes longer, with its whole detour, is refused
    (published one by one, in bulk, or changed), with a message; one at the limit
    is published. Monaco's trips take minutes: the limit is lowered to show it."""
    from carpool.services import search
    from carpool.services.trips import publish_many

    with app.app_context():
        first = db.session.get(Trip, publish(driver, draft(max_detour_min=0)))
        assert first is not None
        monkeypatch.setattr(search, "LONGEST_TRIP", timedelta(seconds=first.time_s + 5 * 60))
        at_limit = publish(driver, draft(max_detour_min=5))
        trips = db.session.scalar(select(func.count()).select_from(Trip))
        with force_locale("fr"), pytest.raises(TripError, match="heures de route, détour compris"):
            publish(driver, draft(max_detour_min=6))
        result = publish_many([(driver, draft(max_detour_min=6)), (driver, draft(max_detour_min=4))])
        assert result.ids[0] is None and "détour compris" in str(result.refused[0].message)
        assert result.ids[1] is not None
        with pytest.raises(TripError, match="détour compris"):
            update(at_limit, driver, draft(max_detour_min=6))
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Trip)) == trips + 1
        changed = db.session.get(Trip, at_limit)
        assert changed is not None and changed.max_detour_s == 5 * 60
