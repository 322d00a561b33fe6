"""``flask --app shop …``: db, create-staff, seed-demo, end-suspensions, audit-verify, audit-checkpoint."""

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
    @click.option("--role", type=click.Choice(["operator", "authority", "finance"]), required=True)
    @click.option("--email", required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", default=None)
    @click.option(
        "--jurisdiction",
        default=None,
        metavar="CODE",
        help="A division code prefix the account sees and reviews alone: 52 (province), 5201 (city), "
        "520102 (county or district). Without it: the whole platform.",
    )
    def create_staff_command(role: str, email: str, password: str, name: str | None, jurisdiction: str | None) -> None:
        """Create an operator, authority or finance bureau (财政局) account."""
        from shop import jurisdictions
        from shop.auth import create_staff

        with _session() as session:
            try:
                user = create_staff(session, role, email, password, name, jurisdiction)
            except DomainError as exc:
                for field, messages in exc.errors.items():
                    for message in messages:
                        click.echo(f"{field}: {message}", err=True)
                sys.exit(1)
            scope = f"{jurisdictions.name(user.jurisdiction)} ({user.jurisdiction})" if user.jurisdiction else "all"
            click.echo(f"created {role} {user.email}, jurisdiction: {scope}")

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

    @app.cli.command("audit-verify")
    @click.option(
        "--held",
        "held",
        multiple=True,
        metavar="ENTRIES:HEAD_HASH",
        help="A checkpoint kept elsewhere (from the public notice): the trail must still reproduce it.",
    )
    def audit_verify(held: tuple[str, ...]) -> None:
        """Recompute the audit trail's hash chain and hold it against every signed checkpoint; exit 1
        naming the first broken entry or checkpoint."""
        from shop.audit_chain import verify_chain
        from shop.db import one_snapshot, read_only_transactions

        kept = {}
        for value in held:
            entries, _, head_hash = value.partition(":")
            if not entries.isdecimal() or len(head_hash) != 64:
                raise click.BadParameter(f"{value!r} is not ENTRIES:HEAD_HASH", param_hint="--held")
            kept[int(entries)] = head_hash.lower()
        with read_only_transactions(), _session() as session:
            one_snapshot(session)
            report = verify_chain(session, kept)
        if report.ok:
            click.echo(f"audit trail intact: {report.checked} entries")
            return
        where = f" at entry {report.broken_id}" if report.broken_id is not None else ""
        click.echo(
            f"audit trail broken{where}: {report.problem} ({report.checked} entries before it are intact)", err=True
        )
        sys.exit(1)

    @app.cli.command("audit-checkpoint")
    def audit_checkpoint() -> None:
        """Sign the audit trail's head (entries, head hash, time) with AUDIT_KEY, after verifying what
        came since the last checkpoint. Run daily from cron (the first request of the day does it too);
        exit 1, signing nothing, when the trail does not verify."""
        from shop.audit_chain import ChainBroken, record_checkpoint

        with _session() as session:
            try:
                checkpoint = record_checkpoint(session)
            except ChainBroken as broken:
                click.echo(
                    f"not signed: audit trail broken at entry {broken.report.broken_id}: {broken.report.problem}",
                    err=True,
                )
                sys.exit(1)
        click.echo(
            f"checkpoint {checkpoint.id}: {checkpoint.entries} entries, head {checkpoint.head_hash}, "
            f"{checkpoint.created_at.isoformat()}, signature {checkpoint.signature}"
        )
