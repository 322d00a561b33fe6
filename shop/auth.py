"""Who is asking: sessions for people (Flask-Login), bearer tokens for machines, and the slowing
down of repeated failed sign-ins, and the rules of an account's e-mail and password. Nothing here says whether an e-mail
address is registered."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shop.accounts import ApiToken, LoginThrottle, User
from shop.audit import record
from shop.clock import now
from shop.errors import DomainError, NotFound
from shop.i18n import _l

# The rules of an account, for people signing up (``orgs``) and for staff (``create_staff``).
PASSWORD_MIN_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_password(password: str) -> object | None:
    if len(password) < PASSWORD_MIN_LENGTH:
        return _l("Use at least %(n)d characters.", n=PASSWORD_MIN_LENGTH)
    if password.isdigit() or password.isalpha():
        return _l("Mix letters with digits or symbols.")
    return None


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_email(email: str) -> object | None:
    if not _EMAIL.match(email):
        return _l("Enter an e-mail address such as name@example.com.")
    return None


TOKEN_LIFETIME = dt.timedelta(days=30)
# Failures before the first pause, counted three ways:
# - "pair": one client address on one account. A client that keeps guessing one account is paused
#   on it, even when it finally sends the right password.
# - "client": one client address on any account (an office behind one NAT address shares it, so it
#   gets more room). The address is the visitor's own behind a proxy (``PROXY_FIX``).
# - "email": one account from any address. It only pauses the clients that have failed on that
#   account themselves: a stranger's failures never refuse the right password from a client that
#   has not failed (the owner signing in), so nobody can lock another person out.
FREE_FAILURES = {"pair": 5, "client": 20, "email": 5}
FIRST_PAUSE = dt.timedelta(minutes=1)  # doubles with every further failure …
LONGEST_PAUSE = dt.timedelta(minutes=15)  # … up to this
FORGET_AFTER = dt.timedelta(hours=1)

# Checked against when the e-mail is unknown, so that both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


# werkzeug's default (scrypt). The test suite lowers it to a fast method; nothing else should.
HASH_METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def _throttles(session: Session, keys: list[str]) -> dict[str, LoginThrottle]:
    return {t.key: t for t in session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))}


def _pair_key(email: str, client: str) -> str:
    # hashed: an e-mail address and an IPv6 address together may be longer than the key column
    return "pair:" + hashlib.sha256(f"{email}\n{client}".encode()).hexdigest()


def _paused_until(throttle: LoginThrottle | None, at: dt.datetime) -> dt.datetime | None:
    if throttle is None or throttle.locked_until is None or throttle.locked_until <= at:
        return None
    return throttle.locked_until


def _has_failed(throttle: LoginThrottle | None, at: dt.datetime) -> bool:
    return throttle is not None and throttle.failures > 0 and at - throttle.last_failure_at <= FORGET_AFTER


def _raise_if_paused(until: dt.datetime | None, at: dt.datetime) -> None:
    if until is not None:
        minutes = max(1, -(-int((until - at).total_seconds()) // 60))
        raise DomainError(
            "too_many_attempts",
            _l("Too many failed sign-ins. Please wait %(minutes)d minute(s) and try again.", minutes=minutes),
            extra={"retry_after": minutes * 60},
        )


def _note_failure(session: Session, keys: list[str], existing: dict[str, LoginThrottle], at: dt.datetime) -> None:
    for key in keys:
        throttle = existing.get(key)
        if throttle is None:
            throttle = LoginThrottle(key=key, failures=0, last_failure_at=at)
            session.add(throttle)
        elif at - throttle.last_failure_at > FORGET_AFTER:
            throttle.failures = 0
        throttle.failures += 1
        throttle.last_failure_at = at
        free = FREE_FAILURES[key.split(":", 1)[0]]
        if throttle.failures >= free:
            pause = min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** min(10, throttle.failures - free))
            throttle.locked_until = at + pause


def authenticate(session: Session, email: str, password: str, client: str) -> User:
    """The user with these credentials, or ``unauthorized`` (the same answer whether the address is
    unknown or the password wrong); ``too_many_attempts`` while a pause of this client's own making
    runs (see ``FREE_FAILURES``). Commits."""
    email = normalise_email(email)
    pair, by_client, by_email = _pair_key(email, client), f"client:{client}", f"email:{email}"
    keys = [pair, by_client, by_email]
    at = now()
    throttles = _throttles(session, keys)
    own = [_paused_until(throttles.get(pair), at), _paused_until(throttles.get(by_client), at)]
    if _has_failed(throttles.get(pair), at):  # a client that failed on this account waits with the others
        own.append(_paused_until(throttles.get(by_email), at))
    _raise_if_paused(max((u for u in own if u is not None), default=None), at)
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not valid or not user.active:
        _note_failure(session, keys, throttles, at)
        session.commit()
        raise DomainError("unauthorized", _l("The e-mail address or the password is not right."))
    if pair in throttles:  # this client's failures on this account are forgiven
        session.delete(throttles[pair])
    session.commit()
    return user


def issue_token(session: Session, user: User) -> tuple[str, dt.datetime]:
    raw = "yq_" + secrets.token_urlsafe(32)
    expires_at = now() + TOKEN_LIFETIME
    session.add(ApiToken(user_id=user.id, token_hash=hashlib.sha256(raw.encode()).hexdigest(), expires_at=expires_at))
    session.commit()
    return raw, expires_at


def token_for(session: Session, raw: str) -> ApiToken | None:
    """The live token sent as ``raw``: known, not expired, not revoked, of an active user."""
    digest = hashlib.sha256(raw.encode()).hexdigest()
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).one_or_none()
    if token is None or token.revoked_at is not None or token.expires_at <= now() or not token.user.active:
        return None
    return token


def user_for_token(session: Session, raw: str) -> User | None:
    token = token_for(session, raw)
    return token.user if token is not None else None


def live_tokens(session: Session, user: User) -> Select[tuple[ApiToken]]:
    """The user's tokens that still work, newest first (for a page of them)."""
    return (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now())
        .order_by(ApiToken.id.desc())
    )


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """The token stops working at once; only its own user may revoke it (anyone else's, or one
    already revoked: ``not_found``). Commits."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound()
    token.revoked_at = now()
    record(session, user, "user", user.id, "revoke_token", None, {"token_id": token.id})
    session.commit()
    return token


def end_sessions(session: Session, user: User) -> None:
    """Signing out: every session cookie issued to the user so far stops working (Flask-Login's
    id includes ``session_version``). Commits."""
    session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    session.commit()


def user_for_session(session: Session, session_id: str) -> User | None:
    """The user of a session cookie (``User.get_id``): active, with the session version it was
    issued with. A cookie from before sign-out, or without a version, is no one's."""
    user_id, _, version = session_id.partition(":")
    if (
        not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit())
        or len(user_id) > 19
        or len(version) > 9
    ):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def create_staff(
    session: Session,
    role: str,
    email: str,
    password: str,
    name: str | None = None,
    jurisdiction: str | None = None,
) -> User:
    """``flask --app shop create-staff``: an operator, authority or finance bureau account, of the whole platform or
    scoped to a jurisdiction (a division code prefix, ``shop.jurisdictions``)."""
    from shop.errors import ValidationError
    from shop.jurisdictions import check_code
    from shop.states import STAFF_ROLES, Role

    email = normalise_email(email)
    errors: dict[str, list] = {}
    if role not in {r.value for r in STAFF_ROLES}:
        errors["role"] = [_l("Staff are operators, authorities or finance bureaus.")]
    if (message := check_email(email)) is not None:
        errors["email"] = [message]
    if (message := check_password(password)) is not None:
        errors["password"] = [message]
    if session.scalars(select(User.id).where(User.email == email)).first() is not None:
        errors["email"] = [_l("This e-mail address is already in use.")]
    code = None
    if jurisdiction is not None:
        code, message = check_code(jurisdiction)
        if message is not None:
            errors["jurisdiction"] = [message]
    if errors:
        raise ValidationError(errors)
    user = User(email=email, password_hash=hash_password(password), role=Role(role), name=name, jurisdiction=code)
    session.add(user)
    session.flush()
    after = {"role": role, "email": email} | ({"jurisdiction": code} if code else {})
    record(session, None, "user", user.id, "create_staff", None, after)
    session.commit()
    return user
