"""Every transition table of every area, walked edge by edge: each edge leads where the table says,
every other (status, action) is refused with ``invalid_state``, every target is a status of the
table's own kind, and every status can be reached from the first one (no dead entry in a table)."""

from __future__ import annotations

import importlib

import pytest

from shop import AREAS
from shop.errors import InvalidState
from shop.states import StateMachine


def _machines() -> list[StateMachine]:
    found = []
    for area in AREAS:
        module = importlib.import_module(f"{area}.states")
        found += [v for v in vars(module).values() if isinstance(v, StateMachine)]
    return found


MACHINES = _machines()
EDGES = [
    (m, status, action, target)
    for m in MACHINES
    for status, edges in m.table.items()
    for action, target in edges.items()
]


def test_every_area_with_statuses_has_its_tables_here() -> None:
    names = {m.name for m in MACHINES}
    assert {"organisation", "product", "quota_application", "order", "claim"} <= names


@pytest.mark.parametrize(
    ("machine", "status", "action", "target"), EDGES, ids=[f"{m.name}:{s.value}-{a}" for m, s, a, _ in EDGES]
)
def test_each_edge_leads_where_its_table_says(machine, status, action, target) -> None:
    assert machine.next(status, action) == target
    assert machine.can(status, action) and action in machine.allowed(status)
    assert type(target) is type(status)


@pytest.mark.parametrize("machine", MACHINES, ids=[m.name for m in MACHINES])
def test_everything_off_the_table_is_refused(machine) -> None:
    statuses = list(type(next(iter(machine.table))))
    actions = {a for edges in machine.table.values() for a in edges}
    for status in statuses:
        for action in actions - machine.allowed(status):
            assert not machine.can(status, action)
            with pytest.raises(InvalidState):
                machine.next(status, action)


@pytest.mark.parametrize("machine", MACHINES, ids=[m.name for m in MACHINES])
def test_every_status_of_a_table_is_reachable_from_its_first(machine) -> None:
    start = next(iter(machine.table))
    seen, todo = {start}, [start]
    while todo:
        for target in machine.table.get(todo.pop(), {}).values():
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert set(machine.table) <= seen
