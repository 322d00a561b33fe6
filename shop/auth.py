"""Who is asking: sessions for people (Flask-Login), bearer tokens for machines, and the slowing
down of repeated failed sign-ins. Nothing here says whether an e-mail address is registered."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from shop.audit import record
from shop.clock import now
from shop.errors import DomainError
from shop.i18n import _l
from shop.models import ApiToken, LoginThrottle, User
from shop.rules import normalise_email

TOKEN_LIFETIME = dt.timedelta(days=30)
# failures before the first pause: per e-mail address, and per client address (an office behind
# one NAT address shares it, so it gets more room)
FREE_FAILURES = {"email": 5, "client": 20}
FIRST_PAUSE = dt.timedelta(minutes=1)   # doubles with every further failure …
LONGEST_PAUSE = dt.timedelta(minutes=15)  # … up to this
FORGET_AFTER = dt.timedelta(hours=1)

# Checked against when the e-mail is unknown, so that both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


# werkzeug's default (scrypt). The test suite lowers it to a fast method; nothing else should.
HASH_METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def _throttles(session: Session, keys: list[str]) -> list[LoginThrottle]:
    return list(session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))))


def _raise_if_paused(throttles: list[LoginThrottle], at: dt.datetime) -> None:
    until = max((t.locked_until for t in throttles if t.locked_until and t.locked_until > at), default=None)
    if until is not None:
        minutes = max(1, -(-int((until - at).total_seconds()) // 60))
        raise DomainError("too_many_attempts",
                          _l("Too many failed sign-ins. Please wait %(minutes)d minute(s) and try again.",
                             minutes=minutes),
                          extra={"retry_after": minutes * 60})


def _note_failure(session: Session, keys: list[str], at: dt.datetime) -> None:
    existing = {t.key: t for t in _throttles(session, keys)}
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
    unknown or the password wrong); ``too_many_attempts`` while a pause runs. Commits."""
    email = normalise_email(email)
    keys = [f"email:{email}", f"client:{client}"]
    at = now()
    _raise_if_paused(_throttles(session, keys), at)
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not valid or not user.active:
        _note_failure(session, keys, at)
        session.commit()
        raise DomainError("unauthorized", _l("The e-mail address or the password is not right."))
    for throttle in _throttles(session, [f"email:{email}"]):
        session.delete(throttle)
    session.commit()
    return user


def issue_token(session: Session, user: User) -> tuple[str, dt.datetime]:
    raw = "yq_" + secrets.token_urlsafe(32)
    expires_at = now() + TOKEN_LIFETIME
    session.add(ApiToken(user_id=user.id, token_hash=hashlib.sha256(raw.encode()).hexdigest(),
                         expires_at=expires_at))
    session.commit()
    return raw, expires_at


def user_for_token(session: Session, raw: str) -> User | None:
    digest = hashlib.sha256(raw.encode()).hexdigest()
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).one_or_none()
    if token is None or token.expires_at <= now() or not token.user.active:
        return None
    return token.user


def create_staff(session: Session, role: str, email: str, password: str, name: str | None = None) -> User:
    """``flask --app shop create-staff``: an operator or an authority account."""
    from shop.rules import check_email, check_password
    from shop.errors import ValidationError
    from shop.states import STAFF_ROLES, Role

    email = normalise_email(email)
    errors: dict[str, list] = {}
    if role not in {r.value for r in STAFF_ROLES}:
        errors["role"] = [_l("Staff are operators or authorities.")]
    if (message := check_email(email)) is not None:
        errors["email"] = [message]
    if (message := check_password(password)) is not None:
        errors["password"] = [message]
    if session.scalars(select(User.id).where(User.email == email)).first() is not None:
        errors["email"] = [_l("This e-mail address is already in use.")]
    if errors:
        raise ValidationError(errors)
    user = User(email=email, password_hash=hash_password(password), role=Role(role), name=name)
    session.add(user)
    session.flush()
    record(session, None, "user", user.id, "create_staff", None, {"role": role, "email": email})
    session.commit()
    return user
