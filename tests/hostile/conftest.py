"""The dashboard tests' fixtures (the real app on a migrated database, a supervisor, a bearer token), shared."""

from tests.web.conftest import app, token, web_services  # noqa: F401 (fixtures)
