"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shop.db import Base, include_name, make_engine
from shop.migrate import upgrade
from shop.model_registry import import_all_models
from tests.conftest import PG_SKIP_REASON, PG_URL, _worker, pg_database_url


def _difference(url):
    upgrade(url)
    import_all_models()
    engine = make_engine(url)
    with engine.connect() as connection:
        # the objects a migration makes by hand (full-text tables, trigram indexes) are left out of the
        # comparison; tests of their areas check that they exist
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return diff


def test_sqlite_upgraded_to_head_matches_the_models(tmp_path):
    assert _difference(f"sqlite:///{tmp_path / 'm.sqlite3'}") == []


@pytest.mark.skipif(not PG_URL, reason=PG_SKIP_REASON)
def test_postgresql_upgraded_to_head_matches_the_models():
    assert _difference(pg_database_url(f"_yq_migrations_{_worker()}")) == []
