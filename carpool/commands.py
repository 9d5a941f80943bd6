"""Maintainer commands: ``flask graph``, ``places``, ``demo``, ``users``, ``trips``,
``mail``, ``privacy``, ``open-data``, ``partners``, ``translate``, ``backup`` and
``restore``."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import inspect

from routing import (
    GraphFileError,
    RoadGraph,
    RoutingError,
    build_graph,
    load_graph,
    load_spaces,
    precompute_spaces,
    spaces_path,
)
from routing.progress import ProgressBar

from .extensions import db
from .paths import ROOT
from .services import (
    accounts,
    alerts,
    backup,
    bookings,
    mail,
    open_data,
    partners,
    places,
    privacy,
    trip_import,
    trips,
)
from .services.demo import DEMO_PASSWORD, DemoExtractUnavailable, demo_extract, seed_demo
from .services.roads import RoadGraphMissing, forget_router, get_router

graph_cli = AppGroup("graph", help="The region's road graph.")
places_cli = AppGroup("places", help="The gazetteer of the region's places.")
demo_cli = AppGroup("demo", help="The demo region (Monaco and its French neighbours).")
users_cli = AppGroup("users", help="Accounts.")
translate_cli = AppGroup("translate", help="Translations (around pybabel).")
trips_cli = AppGroup("trips", help="Published trips.")
mail_cli = AppGroup("mail", help="The mail queue.")
privacy_cli = AppGroup("privacy", help="Members' data and how long it is kept.")
open_data_cli = AppGroup("open-data", help="The anonymised export of the trips on offer.")


@click.command("backup")
@click.argument("destination", required=False, type=click.Path(path_type=Path))
@with_appcontext
def backup_database(destination: Path | None) -> None:
    """Copy the site's database, consistent even while the site writes, to
    DESTINATION: a file, or a folder to put a file named by the UTC time in (by
    default the instance folder's backups/). Run it daily from a timer."""
    try:
        written = backup.backup(destination)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backup of {backup.describe()} written to {written}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="replace the site's database without asking")
@with_appcontext
def restore_database(file: Path, yes: bool) -> None:
    """Replace the site's database with the backup FILE. Stop the site, its workers
    and its timers first."""
    try:
        revision = backup.check(file)  # before asking: a file that is no backup is refused at once
        if not yes:
            click.confirm(f"Replace {backup.describe()} with {file} (revision {revision})?", abort=True)
        revision = backup.restore(file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{backup.describe()} restored from {file}, at revision {revision}")


@open_data_cli.command("export")
@click.option(
    "--format", "format_", type=click.Choice(sorted(open_data.FORMATS)), default="geojson", show_default=True
)
@click.option(
    "--output", type=click.Path(dir_okay=False, writable=True), default=None, help="default: standard output"
)
def export_open_data(format_: str, output: str | None) -> None:
    """Write the future trips, anonymised, as a file to publish on a data portal
    under the licence of OPEN_DATA_LICENCE."""
    file = open_data.export(format_)
    if output is None:
        click.echo(file.body, nl=False)
        return
    Path(output).write_bytes(file.body)
    click.echo(f"{output}: {file.filename} under {file.licence.name} ({file.licence.url})", err=True)


partners_cli = AppGroup("partners", help="Keys of the partners that read the interop API.")


@partners_cli.command("add")
@click.argument("name")
@click.option(
    "--rate", default=None, help="requests per period, e.g. 60/minute (default: PARTNER_RATE_LIMIT)"
)
def add_partner(name: str, rate: str | None) -> None:
    """Make a key for the partner NAME; its secret is shown once."""
    try:
        key_id, secret = partners.create_key(name, rate)
    except partners.PartnerError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"key {key_id} for {name.strip()}: {secret}")
    click.echo("Give this secret to the partner now: it is not kept and cannot be shown again.")


@partners_cli.command("list")
def list_partners() -> None:
    """The keys: id, prefix of the secret, rate, state and name."""
    for key in partners.list_keys():
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
        click.echo(f"{key.id}\t{key.prefix}…\t{key.rate_limit}\t{state}\t{used}\t{key.name}")


@partners_cli.command("revoke")
@click.argument("key_id", type=int)
def revoke_partner(key_id: int) -> None:
    """Revoke the key KEY_ID: its requests are refused from now on."""
    try:
        partners.revoke(key_id)
    except partners.PartnerKeyNotFound as error:
        raise click.ClickException(f"no key {key_id}") from error
    click.echo(f"key {key_id} revoked")


@privacy_cli.command("purge")
def purge_past() -> None:
    """Delete the messages of trips older than RETENTION_MONTHS and make those trips
    anonymous (run it once a day; twice does nothing more)."""
    report = privacy.purge_past()
    click.echo(
        f"trips made anonymous: {report.trips}, messages deleted: {report.messages}, "
        f"alerts forgotten: {report.alerts}, mails forgotten: {report.mails}"
    )


@mail_cli.command("deliver")
def deliver_mail() -> None:
    """Send the queued mails that are due (run it every minute from cron or a timer)."""
    click.echo(f"mails sent: {mail.deliver_due()}")


@mail_cli.command("reminders")
def send_reminders() -> None:
    """Queue the reminders of tomorrow's trips (run it once a day; twice sends nothing more)."""
    click.echo(f"trips leaving tomorrow: {bookings.remind_tomorrow()}")


@graph_cli.command("import")
@click.argument("extract", type=click.Path(exists=True, dir_okay=False))
def import_graph(extract: str) -> None:
    """Build the road graph from an OpenStreetMap EXTRACT (.osm.pbf)."""
    _import_graph(extract)


def _import_graph(extract: str) -> None:
    bar = ProgressBar()
    try:
        graph = build_graph(extract, progress=bar)
    except RoutingError as error:
        raise click.ClickException(str(error)) from error
    finally:
        bar.close()
    target = Path(current_app.config["ROAD_GRAPH"])
    target.parent.mkdir(parents=True, exist_ok=True)
    graph.save(target)
    _save_spaces(graph, target)
    forget_router()
    click.echo(
        f"{target}: {graph.node_count:,} nodes, {graph.edge_count:,} edges, {len(graph.places)} places"
    )
    # Trips already published are searched through cells of the old graph.
    if inspect(db.engine).has_table("trip_cell"):
        _reindex()


@graph_cli.command("spaces")
def graph_spaces() -> None:
    """Compute the road graph's search spaces again if they are missing or of an older
    format (after an upgrade); nothing to do when they fit."""
    target = Path(current_app.config["ROAD_GRAPH"])
    try:
        graph = load_graph(target)
    except RoutingError as error:
        raise click.ClickException(str(error)) from error
    try:
        load_spaces(spaces_path(target), graph=graph)
    except GraphFileError:
        _save_spaces(graph, target)
        forget_router()
        click.echo(f"{spaces_path(target)}: computed for {graph.node_count:,} nodes")
    else:
        click.echo(f"{spaces_path(target)}: up to date")


def _save_spaces(graph: RoadGraph, target: Path) -> None:
    """Every node's search spaces, which the web workers map instead of computing."""
    bar = ProgressBar()
    try:
        precompute_spaces(graph, progress=bar).save(spaces_path(target))
    finally:
        bar.close()


@trips_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_trips(file: Path) -> None:
    """Publish the trips of a CSV FILE (another platform's export; the columns are in
    docs/DEPLOY.md), routed all at once; a refused line is reported, the others kept."""
    try:
        report = trip_import.import_csv(file.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file}: {error}") from error
    except trip_import.TripFileError as error:
        raise click.ClickException(f"{file}: {error.message}") from error
    for line, reason in report.refused:
        click.echo(f"line {line}: {reason}", err=True)
    click.echo(f"trips published: {len(report.published)}, lines refused: {len(report.refused)}")


@trips_cli.command("reindex")
def reindex_trips() -> None:
    """Route and index for search again every trip still to come (after an import)."""
    _reindex()


def _reindex() -> None:
    report = trips.reindex()
    click.echo(
        f"trips indexed for search: {report.indexed}, not routable in this region: {report.unroutable}"
    )
    click.echo(f"alerts placed in the region: {alerts.reindex()}")


@places_cli.command("load")
def load_places() -> None:
    """Load the places of the imported region into the database."""
    try:
        graph = get_router().graph
    except RoadGraphMissing as error:
        raise click.ClickException(str(error)) from error
    report = places.load_gazetteer(graph)
    click.echo(f"places: {report.added} added, {report.updated} updated, {report.outside} outside the region")


@demo_cli.command("setup")
def setup_demo() -> None:
    """Everything the demo needs, idempotent: translations compiled, database
    migrated, the Monaco region imported and its places loaded."""
    import flask_migrate  # here only: see extensions.bind_migrations

    _pybabel("compile", "-d", "translations")
    flask_migrate.upgrade(directory=str(ROOT / "migrations"))
    if not Path(current_app.config["ROAD_GRAPH"]).is_file():
        try:
            extract = demo_extract(Path(current_app.instance_path))
        except DemoExtractUnavailable as error:
            raise click.ClickException(str(error)) from error
        _import_graph(str(extract))
    report = places.load_gazetteer(get_router().graph)
    click.echo(f"places: {report.added} added, {report.updated} updated")
    click.echo(f"demo trips: {seed_demo()} published")
    click.echo(
        "demo ready: run 'flask --app carpool run' and open http://127.0.0.1:5000 "
        f"(demo members: camille@example.org … password {DEMO_PASSWORD})"
    )


@demo_cli.command("seed")
def seed() -> None:
    """Demo members and about 200 future trips (once)."""
    click.echo(f"demo trips: {seed_demo()} published")


@users_cli.command("create")
@click.argument("email")
@click.argument("name")
@click.password_option(help="asked for when not given")
def create_user(email: str, name: str, password: str) -> None:
    """Create a confirmed account for EMAIL, shown as NAME."""
    try:
        user_id = accounts.register(accounts.Registration(email=email, display_name=name, password=password))
        accounts.confirm_email(accounts.confirmation_token(user_id))
    except accounts.AccountError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"account {user_id} created for {accounts.normalise_email(email)}")


@users_cli.command("make-admin")
@click.argument("email")
def make_admin(email: str) -> None:
    """Give the account of EMAIL the administrator role."""
    try:
        user_id = accounts.make_admin(email)
    except accounts.AccountError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"account {user_id} is now an administrator")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


@translate_cli.command("update")
def update_translations() -> None:
    """Extract the UI strings and merge them into every language's catalogue."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = str(Path(tmp) / "messages.pot")
        _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_ngettext:1,2", "-o", pot, ".")
        _pybabel("update", "-i", pot, "-d", "translations", "--no-fuzzy-matching")


@translate_cli.command("compile")
def compile_translations() -> None:
    """Compile the catalogues the site reads."""
    _pybabel("compile", "-d", "translations", "--statistics")


def register(app: Flask) -> None:
    for command in (
        graph_cli,
        places_cli,
        demo_cli,
        users_cli,
        translate_cli,
        trips_cli,
        mail_cli,
        privacy_cli,
        open_data_cli,
        partners_cli,
        backup_database,
        restore_database,
    ):
        app.cli.add_command(command)
