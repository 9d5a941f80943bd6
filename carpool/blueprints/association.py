"""The association's own pages: its charter, how it is run and funded, its figures
in the open, and what it does with its members' data."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..services import association, stats

bp = Blueprint("association", __name__)


@bp.get("/charter")
def charter() -> str:
    return render_template("association/charter.html", about=association.about())


@bp.get("/association")
def about() -> str:
    return render_template("association/about.html", about=association.about())


@bp.get("/transparency")
def transparency() -> str:
    return render_template("association/transparency.html", report=stats.transparency())


@bp.get("/privacy")
def privacy() -> str:
    return render_template("association/privacy.html", facts=association.privacy_facts())
