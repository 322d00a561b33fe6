"""Every word the audit trail and the status badges show has a label, in one place: an audited action
or subject, or a status or action of a transition table, written in the code but never labelled would
reach the reader as its bare key (``remove_document``)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from shop import AREAS, create_app, labels
from shop.audit import SUBJECT_TYPES
from shop.states import StateMachine

ROOT = Path(__file__).resolve().parents[2]
# record(session, actor, "subject", id, "action", …) and change_state(session, obj, MACHINE, "action", …)
RECORD = re.compile(r"\brecord\(\s*\w+,\s*[\w.]+,\s*\"(\w+)\",\s*[^,]+,\s*\"(\w+)\"(?=\s*[,)])")
CHANGE = re.compile(r"\bchange_state\(\s*\w+,\s*[\w.]+,\s*\w+,\s*\"(\w+)\"")
SUBJECT = re.compile(r"subject_type=\"(\w+)\"")


def _sources() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for area in AREAS for path in (ROOT / area).rglob("*.py"))


@pytest.fixture(scope="module")
def known() -> dict:
    create_app({"DATABASE_URL": "sqlite://", "TESTING": True})
    return labels.LABELS


def test_the_scan_finds_the_audited_words_it_looks_for() -> None:
    text = _sources()
    assert ("claim", "create_claim") in set(RECORD.findall(text))
    assert "submit_claim" in CHANGE.findall(text)


def test_every_audited_action_and_subject_has_a_label(known: dict) -> None:
    text = _sources()
    actions = {a for _, a in RECORD.findall(text)} | set(CHANGE.findall(text))
    subjects = {s for s, _ in RECORD.findall(text)} | set(SUBJECT.findall(text))
    assert sorted(a for a in actions if a not in known) == []
    assert sorted(s for s in subjects if s not in known) == []


def test_every_audited_subject_can_be_searched_in_the_audit_trail() -> None:
    subjects = {s for s, _ in RECORD.findall(_sources())} | set(SUBJECT.findall(_sources()))
    assert sorted(subjects - set(SUBJECT_TYPES)) == []


def test_every_status_and_action_of_every_transition_table_has_a_label(known: dict) -> None:
    machines = []
    for area in AREAS:
        module = importlib.import_module(f"{area}.states")
        machines += [v for v in vars(module).values() if isinstance(v, StateMachine)]
    assert len(machines) >= 5
    missing = set()
    for machine in machines:
        missing |= {machine.name} - set(known)
        for status, edges in machine.table.items():
            missing |= {str(status.value)} - set(known)
            missing |= {a for a in edges if a not in known}
            missing |= {str(s.value) for s in edges.values() if s.value not in known}
    assert sorted(missing) == []


def test_a_key_named_twice_with_different_words_is_refused(known: dict) -> None:
    with pytest.raises(ValueError, match="already"):
        labels.add({"approve": labels._l("Approve it now")})
    labels.add({"approve": labels._l("Approve")})  # the same words again are fine
