"""Search along the route: the form (on the home page) and its results."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..forms import SearchForm
from ..services import search
from ..services.messages import FieldError
from . import limits

bp = Blueprint("search", __name__)


@bp.get("/search")
@limits.searches
def results() -> str:
    form = SearchForm(request.args)
    found: search.SearchPage | None = None
    error = None
    # A page number that is none (typed by hand, cut) shows the first page.
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), search.MAX_PAGE)
    if form.validate():
        try:
            found = search.find_named(
                form.origin.data,
                form.destination.data,
                form.day.data,
                form.flex_days.data or 0,
                form.time_from.data,
                form.time_to.data,
                page=page,
            )
        except FieldError as refused:
            form[refused.field].errors.append(refused.message)
        except search.SearchError as refused:
            error = refused.message
    return render_template("search/results.html", form=form, found=found, error=error)
