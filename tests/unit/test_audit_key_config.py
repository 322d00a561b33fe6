"""``AUDIT_KEY``: required in production like ``SECRET_KEY``; a fixed default only in development and
tests (so that the development server and the command line verify each other's entries)."""

import secrets

import pytest

from shop.config import DEVELOPMENT_AUDIT_KEY, load_config


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_an_audit_key(production, tmp_path):
    with pytest.raises(RuntimeError, match="AUDIT_KEY must be set in production"):
        load_config(str(tmp_path))


@pytest.mark.parametrize("key", ["short", DEVELOPMENT_AUDIT_KEY])
def test_production_refuses_a_short_key_or_the_development_one(production, tmp_path, key):
    production.setenv("AUDIT_KEY", key)
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        load_config(str(tmp_path))


def test_production_takes_the_key_from_the_environment(production, tmp_path):
    key = secrets.token_hex(32)
    production.setenv("AUDIT_KEY", key)
    assert load_config(str(tmp_path))["AUDIT_KEY"] == key


def test_development_has_a_fixed_default(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOP_ENV", "development")
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    assert load_config(str(tmp_path))["AUDIT_KEY"] == DEVELOPMENT_AUDIT_KEY
