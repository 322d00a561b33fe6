"""``flask --app shop …``: db, create-staff, seed-demo, end-suspensions, audit-verify."""
from __future__ import annotations

import sys

import click
from alembic import command
from flask import Flask, current_app

from shop.errors import DomainError


def _session():  # type: ignore[no-untyped-def]
    return current_app.extensions["shop.sessions"]()


def init_app(app: Flask) -> None:
    @app.cli.group("db")
    def db() -> None:
        """Database migrations (Alembic)."""

    def _config():  # type: ignore[no-untyped-def]
        from shop.migrate import alembic_config
        return alembic_config(current_app.config["DATABASE_URL"])

    @db.command("upgrade")
    @click.argument("revision", default="head")
    def upgrade(revision: str) -> None:
        """Migrate the database to REVISION (default: head)."""
        command.upgrade(_config(), revision)

    @db.command("downgrade")
    @click.argument("revision")
    def downgrade(revision: str) -> None:
        command.downgrade(_config(), revision)

    @db.command("current")
    def current() -> None:
        command.current(_config(), verbose=True)

    @db.command("revision")
    @click.option("-m", "--message", required=True)
    @click.option("--autogenerate/--empty", default=True)
    def revision(message: str, autogenerate: bool) -> None:
        """Write a new migration from the difference between the models and the database."""
        command.revision(_config(), message=message, autogenerate=autogenerate)

    @app.cli.command("create-staff")
    @click.option("--role", type=click.Choice(["operator", "authority"]), required=True)
    @click.option("--email", required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", default=None)
    def create_staff_command(role: str, email: str, password: str, name: str | None) -> None:
        """Create an operator or authority account."""
        from shop.auth import create_staff
        with _session() as session:
            try:
                user = create_staff(session, role, email, password, name)
            except DomainError as exc:
                for field, messages in exc.errors.items():
                    for message in messages:
                        click.echo(f"{field}: {message}", err=True)
                sys.exit(1)
        click.echo(f"created {role} {user.email}")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Fill the database with demo data (keeps what is already there)."""
        from shop.seed import run_all
        with _session() as session:
            run_all(session)
        click.echo("demo data ready")

    @app.cli.command("demo-logins")
    def demo_logins_command() -> None:
        """Print one demo login per role."""
        from shop.seed import DEMO_PASSWORD, demo_logins
        for role, email in demo_logins():
            click.echo(f"  {role:<11} {email:<32} {DEMO_PASSWORD}")

    @app.cli.command("end-suspensions")
    def end_suspensions_command() -> None:
        """Reinstate the organisations whose suspension ends today or ended before (run daily; the
        first request of each day does it too)."""
        from shop.services import end_suspensions
        with _session() as session:
            n = end_suspensions(session)
        click.echo(f"{n} suspension(s) ended")

    @app.cli.command("audit-verify")
    def audit_verify() -> None:
        """Recompute the audit trail's hash chain; exit 1 naming the first broken entry."""
        from shop.audit import verify_chain
        with _session() as session:
            report = verify_chain(session)
        if report.ok:
            click.echo(f"audit trail intact: {report.checked} entries")
            return
        click.echo(f"audit trail broken at entry {report.broken_id}: {report.problem} "
                   f"({report.checked} entries before it are intact)", err=True)
        sys.exit(1)
