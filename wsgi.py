"""WSGI entry point: ``gunicorn wsgi:app``."""

from carpool import create_app

app = create_app()
