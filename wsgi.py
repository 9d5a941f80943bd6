"""WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``."""

import gc

from carpool import create_app
from carpool.services.roads import RoadGraphMissing, get_router

# For serving only: the migrations' commands (and alembic) are the command line's,
# through ``flask --app carpool`` (not ``--app wsgi``, which has no ``db`` commands).
app = create_app(migrations=False)

# Load the region's road graph now, in gunicorn's master process when it preloads the
# app (gunicorn.conf.py): the workers forked from it then share its memory.
with app.app_context():
    try:
        get_router()
    except RoadGraphMissing:
        app.logger.warning("no road graph yet: run 'flask graph import EXTRACT.osm.pbf'")

# What is loaded now lives as long as the process: out of the garbage collector's
# sight, its pages are not written to by collections in the workers, and stay shared.
gc.freeze()
