"""carpool: the web site of a cooperative, commission-free carpooling platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_currency, format_date, format_datetime, format_decimal, format_time
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from . import commands, security
from .charts import bar_chart
from .config import load_config
from .extensions import babel, bind_migrations, csrf, db, limiter, login_manager
from .forms import WEEKDAY_CHOICES
from .i18n import LANGUAGE_NAMES, select_locale, select_timezone
from .paths import ROOT
from .services.roads import RoadGraphMissing, region_centre

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None, *, migrations: bool = True) -> Flask:
    """Application factory (flaskr style): configuration from the environment, or
    ``test_config`` on top of it for the tests. ``migrations``: with the ``flask db``
    commands and their libraries; without, for processes that never migrate (the web
    server's workers, ``wsgi.py``; the RQ workers, :mod:`carpool.tasks`)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(load_config(Path(app.instance_path)))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    if test_config is not None:
        app.config.from_mapping(test_config)

    db.init_app(app)
    if migrations:
        bind_migrations(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    security.init_app(app)
    limiter.init_app(app)
    _init_login(app)
    from . import models  # noqa: F401  (the models must be known to migrations)
    from .api import standard as standard_api
    from .blueprints import (
        alerts,
        api_tokens,
        association,
        auth,
        bookings,
        conversations,
        main,
        members,
        moderation,
        open_data,
        places,
        privacy,
        reviews,
        search,
        trips,
    )

    for blueprint in (
        main.bp,
        auth.bp,
        members.bp,
        places.bp,
        search.bp,
        trips.bp,
        bookings.bp,
        reviews.bp,
        conversations.bp,
        alerts.bp,
        association.bp,
        moderation.bp,
        privacy.bp,
        api_tokens.bp,
        open_data.bp,
    ):
        app.register_blueprint(blueprint)
    # Partners authenticate with a key in a header, never the session cookie.
    csrf.exempt(standard_api.bp)
    app.register_blueprint(standard_api.bp)
    app.register_blueprint(_leaflet())
    from .api import v1 as api_v1

    api_v1.init_app(app)
    commands.register(app)
    _register_error_pages(app)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_locale"] = select_locale
    app.jinja_env.globals["region_centre"] = region_centre
    app.jinja_env.globals["unread_messages"] = _unread_messages
    app.jinja_env.globals["open_reports"] = _open_reports
    app.jinja_env.globals["WEEKDAYS"] = tuple(choice.label for choice in WEEKDAY_CHOICES)
    app.jinja_env.globals["bar_chart"] = bar_chart
    # Dates, times, numbers and money in the reader's language and time zone.
    app.jinja_env.globals.update(
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
        format_currency=format_currency,
        format_decimal=format_decimal,
    )
    return app


def _unread_messages() -> int:
    """For the menu: messages the signed-in member has not opened."""
    from flask_login import current_user

    from .services.conversations import unread_count

    return unread_count(current_user.id) if current_user.is_authenticated else 0


def _open_reports() -> int:
    """For the menu of a moderator: the reports waiting."""
    from flask_login import current_user

    from .services.moderation import open_count

    return open_count(current_user.id) if current_user.is_authenticated else 0


def _leaflet() -> Blueprint:
    """Leaflet's files, served from the xstatic-leaflet package: no CDN, no copy."""
    import xstatic.pkg.leaflet

    return Blueprint(
        "leaflet", __name__, static_folder=xstatic.pkg.leaflet.BASE_DIR, static_url_path="/leaflet"
    )


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from .models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")

    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    login_manager.user_loader(load_user)


def _register_error_pages(app: Flask) -> None:
    """Errors as pages; as problem details under the JSON API's prefix, and as the
    standard's JSON under the partner API's (a 404 or 405 there is known before any
    blueprint is, hence the prefixes)."""
    from .api import standard as standard_api
    from .api import v1 as api_v1

    def in_api() -> bool:
        return request.path == api_v1.PREFIX or request.path.startswith(api_v1.PREFIX + "/")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if in_api():
            return api_v1.problem_response(error)
        if standard_api.serves(request.path):
            return standard_api.error_response(error)
        return render_template("errors/http.html", error=error), error.code or 500

    @app.errorhandler(RoadGraphMissing)
    def no_road_graph(error: RoadGraphMissing) -> ResponseReturnValue:
        # A site being set up (or a graph file lost): say so, and that it is passing,
        # on every front end, instead of an unexplained 500.
        app.logger.error("%s", error)
        from flask_babel import gettext as _

        unavailable = ServiceUnavailable(
            _("The region's road map is not loaded yet: searching and publishing trips will be back soon."),
            retry_after=300,
        )
        return http_error(unavailable)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        if in_api():
            return api_v1.unexpected_response(error)
        if standard_api.serves(request.path):
            return standard_api.error_response(error)
        app.logger.exception("unexpected error")
        return render_template("errors/500.html"), 500
