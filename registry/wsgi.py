"""`app` for gunicorn: `gunicorn registry.wsgi:app` (settings from PODIUM_* variables)."""

from registry.app import create_app

app = create_app()
