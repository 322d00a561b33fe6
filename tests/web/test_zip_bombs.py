"""An XLSX is a zip: one that unpacks to far more than any spreadsheet, or holds thousands of
entries, is refused with a clear message where uploads are checked (issue 11, L11)."""

import io
import zipfile

import pytest

from tests.helpers import grant_wallet, make_order, make_org, make_programme, member, token_for


@pytest.fixture(autouse=True)
def in_2026(today):
    today("2026-03-02")


def spreadsheet() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["用量", 12])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_entries(data: bytes, entries) -> bytes:
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def draft(session):
    make_programme(session)
    enterprise, provider = make_org(session), make_org(session, "provider")
    grant_wallet(session, enterprise)
    order = make_order(session, enterprise, provider)
    from claims import services as claims
    from claims.commands import ClaimInput

    claim = claims.create_claim(session, member(provider), ClaimInput.from_input({"order_ids": [order.id]}))
    return claim.id, token_for(session, member(provider))


def send(client, draft, data):
    claim_id, headers = draft
    return client.post(
        f"/api/v1/claims/{claim_id}/documents",
        data={"kind": "usage", "file": (io.BytesIO(data), "usage.xlsx")},
        headers={**headers, "Accept-Language": "en"},
        content_type="multipart/form-data",
    )


def test_a_real_spreadsheet_is_accepted(client, draft):
    assert send(client, draft, spreadsheet()).status_code == 201


def test_a_spreadsheet_that_unpacks_to_hundreds_of_megabytes_is_refused(client, draft):
    bomb = with_entries(spreadsheet(), [("xl/media/zeros.bin", b"\0" * (300 * 1024 * 1024))])
    assert len(bomb) < 1024 * 1024  # under a megabyte as uploaded
    response = send(client, draft, bomb)
    assert (response.status_code, response.json["code"]) == (422, "validation_error")
    assert "unpacks to more than" in response.json["errors"]["file"][0]


def test_a_spreadsheet_of_thousands_of_entries_is_refused(client, draft):
    many = with_entries(spreadsheet(), [(f"xl/media/{n}.bin", b"") for n in range(5000)])
    response = send(client, draft, many)
    assert response.status_code == 422 and "entries" in response.json["errors"]["file"][0]


def test_a_broken_zip_that_looks_like_a_spreadsheet_is_refused(client, draft):
    data = spreadsheet()
    response = send(client, draft, data[: len(data) // 2])
    assert response.status_code == 422 and "file" in response.json["errors"]


def test_the_refusal_is_explained_in_chinese_on_the_claim_page(client, draft, session):
    from tests.helpers import sign_in

    claim_id, _ = draft
    from claims.models import Claim

    sign_in(client, member(session.get(Claim, claim_id).provider))
    bomb = with_entries(spreadsheet(), [("xl/media/zeros.bin", b"\0" * (120 * 1024 * 1024))])
    response = client.post(
        f"/claims/{claim_id}/documents",
        data={"kind": "usage", "file": (io.BytesIO(bomb), "usage.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "解压后超过 100 MB" in response.get_data(as_text=True)
