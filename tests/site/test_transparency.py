"""The transparency figures, computed from real trips and bookings on the Monaco graph
in local months; the charts that show them (well-formed, accessible SVG); the page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from carpool.charts import bar_chart, nice_ticks
from carpool.extensions import db
from carpool.models import Trip
from carpool.services import bookings, stats
from carpool.services.roads import get_router
from carpool.services.trips import StopInput, TripOptions, cancel, publish, trip_route
from tests.site.test_bookings import ask, member
from tests.site.test_trips import CASINO, LARVOTTO, PALACE, PARIS, TOMORROW, draft

SVG = "{http://www.w3.org/2000/svg}"


def shared_m(trip_id: int, start: StopInput, end: StopInput) -> float:
    """What the routing core says the passenger shares, as the booking saw it."""
    trip = db.session.get(Trip, trip_id)
    assert trip is not None
    match = get_router().match(
        trip_route(trip), (start.lat, start.lon), (end.lat, end.lon), max_detour_s=trip.max_detour_s
    )
    assert match is not None
    return match.shared_length_m


def month_index(report: stats.Transparency, moment: datetime) -> int:
    return report.months.index(stats.month_of(moment, PARIS))


def test_the_figures_count_what_happened(app: Flask, driver: int) -> None:
    alix, sam, dom = member(app, "Alix"), member(app, "Sam"), member(app, "Dom")
    with app.app_context():
        trip = publish(driver, draft(seats=4, stopovers=(CASINO,)))
        whole = bookings.request_booking(alix, ask(trip, seats=2))
        bookings.accept(whole, driver)
        part = bookings.request_booking(sam, ask(trip, start=CASINO))
        bookings.accept(part, driver)
        bookings.decline(bookings.request_booking(dom, ask(trip)), driver)
        expected_m = 2 * shared_m(trip, PALACE, LARVOTTO) + shared_m(trip, CASINO, LARVOTTO)
        assert shared_m(trip, CASINO, LARVOTTO) < shared_m(trip, PALACE, LARVOTTO)

        cancelled = publish(driver, draft())
        bookings.accept(bookings.request_booking(dom, ask(cancelled)), driver)
        cancel(cancelled, driver, "Panne")
        later = publish(driver, draft(departure=TOMORROW + timedelta(days=10)))
        bookings.accept(bookings.request_booking(dom, ask(later)), driver)

        now = TOMORROW + timedelta(days=1)
        report = stats.transparency(now=now)
        assert len(report.months) == 12 == len(report.km) and report.months[-1] == stats.month_of(now, PARIS)
        assert report.total.trips == 2  # the cancelled trip is not counted, the later one is
        assert report.trips[month_index(report, datetime.now(UTC))] == 2 == sum(report.trips)
        # Seats: the two accepted bookings that rode; not the declined one, nor the later trip's.
        assert report.total.seats == 3 == report.seats[month_index(report, TOMORROW)] == sum(report.seats)
        assert report.total.km == pytest.approx(expected_m / 1000)
        assert report.km[month_index(report, TOMORROW)] == pytest.approx(expected_m / 1000)
        assert report.total.co2_kg == pytest.approx(expected_m / 1000 * 193 / 1000)
        assert report.co2_g_per_km == 193 and report.unmeasured == 0

        app.config["CO2_G_PER_KM"] = 100.0
        assert stats.transparency(now=now).total.co2_kg == pytest.approx(expected_m / 1000 * 100 / 1000)
        # Until the drop-off, a ride has not happened: the trip leaves at 8:00.
        assert stats.transparency(now=TOMORROW + timedelta(minutes=1)).total.seats == 0
        # Ten days on, the later trip has been driven too.
        assert stats.transparency(now=TOMORROW + timedelta(days=11)).total.seats == 4


def _first_of_next_month(today: date) -> date:
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def test_months_are_the_site_s_local_months(app: Flask, driver: int) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        first = _first_of_next_month(datetime.now(PARIS).date())
        # 00:30 on the 1st in Paris is still the previous month in UTC.
        departure = datetime.combine(first, time(0, 30), PARIS)
        assert departure.astimezone(UTC).month != first.month
        trip = publish(driver, draft(departure=departure, options=TripOptions(instant_booking=True)))
        bookings.request_booking(alix, ask(trip))
        # Published at 00:15 on the 1st of a month, local time; another 13 months ago.
        published = datetime.combine(first - timedelta(days=62), time(0, 15), PARIS).replace(day=1)
        old = publish(driver, draft())
        for trip_id, created in ((trip, published), (old, published - timedelta(days=400))):
            row = db.session.get(Trip, trip_id)
            assert row is not None
            row.created_at = created
        db.session.commit()

        report = stats.transparency(now=departure + timedelta(days=1))
        assert report.months[-1] == first
        assert report.seats[-1] == 1 and report.seats[-2] == 0
        assert report.km[-1] > 0 and report.km[-2] == 0
        assert report.trips[report.months.index(published.date())] == 1 and sum(report.trips) == 1
        assert report.total.trips == 2  # the old trip counts in all, not in the last twelve months


def test_the_charts_are_well_formed_accessible_svg(app: Flask) -> None:
    labels = [f"M{i}" for i in range(12)]
    with app.test_request_context(), force_locale("fr"):
        chart = str(bar_chart("Kilomètres partagés", labels, [float(i * 150) for i in range(12)], unit="km"))
    svg = ET.fromstring(chart)
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.text == "Kilomètres partagés"
    assert desc is not None and desc.text and "M11 : 1\u202f650\u00a0km" in desc.text
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == 12 and float(bars[0].get("width", "-1")) == 0
    assert [float(b.get("width", "0")) for b in bars] == sorted(float(b.get("width", "0")) for b in bars)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "1\u202f650\u00a0km" in texts and "M0" in texts and "km" in texts  # values, labels, axis
    assert nice_ticks(1650)[-1] >= 1650


def test_the_chart_escapes_every_text(app: Flask) -> None:
    hostile = '<script>alert("x")</script>'
    label = "Saint-Jean-Cap-Ferrat & l'<b>Eze</b>"
    with app.test_request_context(), force_locale("en"):
        chart = str(bar_chart(hostile, [label, "]]>"], [1, 1234], unit="<km>", axis_label='"axe"'))
        with pytest.raises(ValueError):
            bar_chart("x", ["a"], [1, 2])
        with pytest.raises(ValueError):
            bar_chart("x", ["a"], [-1])
    assert "<script" not in chart and "<b>" not in chart
    svg = ET.fromstring(chart)  # still well-formed
    title = svg.find(f"{SVG}title")
    assert title is not None and title.text == hostile
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert label in texts and "]]>" in texts and "1,234\u00a0<km>" in texts and '"axe"' in texts
    drawn = {f"{SVG}{tag}" for tag in ("svg", "title", "desc", "g", "line", "rect", "text")}
    assert {e.tag for e in svg.iter()} <= drawn  # nothing the labels brought in


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_page_shows_each_series_as_a_chart_and_a_table(
    app: Flask, client: FlaskClient, driver: int, language: str
) -> None:
    alix = member(app, "Alix")
    with app.app_context():
        trip = publish(driver, draft(options=TripOptions(instant_booking=True)))
        bookings.request_booking(alix, ask(trip, seats=2))
        row = db.session.get(Trip, trip)
        assert row is not None
        row.departure_at = datetime.now(UTC) - timedelta(days=1)  # the ride took place yesterday
        db.session.commit()
    page = client.get("/transparency", headers={"Accept-Language": language}).get_data(as_text=True)
    charts = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(charts) == 4
    for chart in charts:
        bars = [r for r in ET.fromstring(chart).iter(f"{SVG}rect") if r.get("class") == "bar"]
        assert len(bars) == 12
    assert page.count("<table") == 4 == page.count("<caption>")
    assert page.count('<th scope="row">') == 48 and page.count('<th scope="col">') == 8
    if language == "fr":
        assert "2 places réservées" in page and "1 trajet publié" in page
        assert "193 g de CO₂ par kilomètre" in page and "Europe/Paris" in page
        assert '<th scope="row">janvier ' in page  # every month of the year is there
    else:
        assert "2 seats booked" in page and "1 trip published" in page and "193 g of CO₂" in page
        assert '<th scope="row">January ' in page
