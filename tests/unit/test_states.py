import pytest

from orgs.states import ORGANISATION, OrgStatus
from shop.errors import DomainError


def test_certification_moves_along_its_table():
    status = ORGANISATION.next(OrgStatus.PENDING_CERTIFICATION, "submit_certification")
    assert status == OrgStatus.UNDER_REVIEW
    assert ORGANISATION.next(status, "reject") == OrgStatus.REJECTED
    assert ORGANISATION.next(OrgStatus.REJECTED, "submit_certification") == OrgStatus.UNDER_REVIEW
    assert ORGANISATION.next(OrgStatus.UNDER_REVIEW, "approve") == OrgStatus.CERTIFIED


@pytest.mark.parametrize(
    "status, action",
    [
        (OrgStatus.PENDING_CERTIFICATION, "approve"),
        (OrgStatus.CERTIFIED, "approve"),
        (OrgStatus.CERTIFIED, "submit_certification"),
        (OrgStatus.EXPELLED, "request_exit"),
    ],
)
def test_anything_off_the_table_is_invalid_state(status, action):
    with pytest.raises(DomainError) as caught:
        ORGANISATION.next(status, action)
    assert caught.value.code == "invalid_state"
    assert caught.value.status == 409


def test_the_operator_suspends_reinstates_and_expels_certified_organisations():
    for status in (OrgStatus.CERTIFIED, OrgStatus.EXITING, OrgStatus.SUSPENDED):
        assert ORGANISATION.next(status, "suspend") == OrgStatus.SUSPENDED
        assert ORGANISATION.next(status, "expel") == OrgStatus.EXPELLED
    assert ORGANISATION.next(OrgStatus.SUSPENDED, "reinstate") == OrgStatus.CERTIFIED
    assert ORGANISATION.next(OrgStatus.SUSPENDED, "resume_exit") == OrgStatus.EXITING


@pytest.mark.parametrize(
    "status, action",
    [
        (OrgStatus.UNDER_REVIEW, "suspend"),
        (OrgStatus.PENDING_CERTIFICATION, "expel"),
        (OrgStatus.CERTIFIED, "reinstate"),
        (OrgStatus.EXPELLED, "reinstate"),
        (OrgStatus.EXPELLED, "suspend"),
        (OrgStatus.SUSPENDED, "request_exit"),
    ],
)
def test_sanctions_off_the_table_are_invalid_state(status, action):
    with pytest.raises(DomainError) as caught:
        ORGANISATION.next(status, action)
    assert caught.value.code == "invalid_state"
