"""Home page and language choice."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..forms import SearchForm
from ..services import members
from . import local_path

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html", form=SearchForm())


@bp.post("/language")
def set_language() -> Response:
    language = request.form.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["language"] = language
    if current_user.is_authenticated:
        members.set_language(current_user.id, language)
    return redirect(local_path(request.form.get("next")) or url_for("main.index"))
