"""The command line of API.md: create-staff, seed-demo, audit-verify."""

from sqlalchemy import func, select, text

from orgs.models import Organisation
from shop.accounts import User
from shop.seed import DEMO_PASSWORD, demo_logins
from tests.helpers import fresh


def test_create_staff_makes_an_operator_and_refuses_a_weak_password(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-staff", "--role", "operator", "--email", "Ops@Example.com", "--password", "a-strong-pass-1"]
    )
    assert result.exit_code == 0, result.output
    assert fresh(session).scalar(select(User.role).where(User.email == "ops@example.com")) == "operator"
    weak = runner.invoke(
        args=["create-staff", "--role", "authority", "--email", "a@example.com", "--password", "short"]
    )
    assert weak.exit_code == 1 and "password" in weak.output


def test_create_staff_scopes_an_account_to_a_jurisdiction_and_refuses_an_unknown_code(app, session):
    runner = app.test_cli_runner()
    args = ["create-staff", "--role", "operator", "--password", "a-strong-pass-1"]
    result = runner.invoke(args=[*args, "--email", "gy@example.com", "--jurisdiction", "5201"])
    assert result.exit_code == 0, result.output
    assert "贵州省贵阳市 (5201)" in result.output
    assert fresh(session).scalar(select(User.jurisdiction).where(User.email == "gy@example.com")) == "5201"
    province = runner.invoke(args=[*args, "--email", "gz@example.com"])
    assert province.exit_code == 0 and "jurisdiction: all" in province.output
    assert fresh(session).scalar(select(User.jurisdiction).where(User.email == "gz@example.com")) is None
    for code in ("999999", "52-01", "5200"):
        refused = runner.invoke(args=[*args, "--email", f"x{code}@example.com", "--jurisdiction", code])
        assert refused.exit_code == 1 and "jurisdiction:" in refused.output, (code, refused.output)
    assert fresh(session).scalar(select(func.count()).select_from(User).where(User.email.like("x%"))) == 0


def test_create_staff_makes_a_finance_bureau_of_a_jurisdiction(app, session):
    """拨付申请: the finance bureau (财政局) is staff of a jurisdiction, like the operator and the authority."""
    result = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            *("--role", "finance", "--email", "czj@example.com", "--password", "a-strong-pass-1"),
            *("--jurisdiction", "3713"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "created finance czj@example.com" in result.output and "(3713)" in result.output
    user = fresh(session).scalars(select(User).where(User.email == "czj@example.com")).one()
    assert (user.role, user.jurisdiction, user.is_staff) == ("finance", "3713", True)
    assert user.oversees("371302") and not user.oversees("52")


def test_seed_demo_is_idempotent_and_every_demo_login_works(app, session, client, payments, today):
    today("2026-03-02")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    count = fresh(session).scalar(select(func.count()).select_from(Organisation))
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert fresh(session).scalar(select(func.count()).select_from(Organisation)) == count
    for _role, email in demo_logins():
        response = client.post("/api/v1/tokens", json={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 201, email
    statuses = dict(
        fresh(session).execute(select(Organisation.status, func.count()).group_by(Organisation.status)).all()
    )
    assert statuses["certified"] >= 6 and statuses["under_review"] >= 1
    from orders.models import Order

    orders = dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    # the checkout's demo orders, and the oversight demo's bulk orders besides (some cancelled, some refunds)
    assert orders["placed"] >= 1 and orders["confirmed"] >= 3 and orders["cancelled"] >= 1
    assert orders["refund_requested"] >= 1


def test_audit_verify_exits_non_zero_and_names_the_first_broken_entry(app, session):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    ok = runner.invoke(args=["audit-verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    fresh(session)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_entries_no_update"))
        session.execute(text("UPDATE audit_entries SET actor_label = 'someone-else' WHERE id = 4"))
    else:
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
        session.execute(text("UPDATE audit_entries SET actor_label = 'someone-else' WHERE id = 4"))
        session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"))
    session.commit()
    broken = runner.invoke(args=["audit-verify"])
    assert broken.exit_code == 1 and "entry 4" in broken.output
