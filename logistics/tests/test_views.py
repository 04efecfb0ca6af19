"""The consumer provenance page at the GS1 Digital Link URL, and the demo data."""

import io

import pytest
from django.test import Client
from django.utils import translation

from busanhub.chain import testing as chain_testing
from logistics import demo
from logistics.models import Breach, Lot

pytestmark = pytest.mark.django_db


def _demo():
    demo.seed(stdout=io.StringIO(), users={})
    return Lot.objects.get(lot_code=demo.DEMO_FILLET)


def test_demo_seed_builds_the_journey_with_a_breach_and_a_recall_once():
    lot = _demo()
    demo.seed(stdout=io.StringIO(), users={})
    assert Lot.objects.count() == 2
    assert Breach.objects.get().lot == lot
    assert lot.recalls.count() == 1
    assert lot.status == Lot.Status.RECALLED


def test_provenance_page_shows_catch_timeline_chart_and_recall_in_korean_and_english():
    lot = _demo()
    url = f"/01/{lot.product.gtin}/10/{lot.lot_code}"
    korean = Client(HTTP_ACCEPT_LANGUAGE="ko").get(url)
    assert korean.status_code == 200
    html = korean.content.decode()
    assert "고등어 필렛" in html
    assert "FAO 61 (Northwest Pacific)" in html
    assert "대양7호" in html
    assert 'class="temperature-chart"' in html
    assert 'class="chart-breach"' in html
    assert 'data-testid="recall-banner"' in html
    assert html.count("/verify/0x") == 9 + 1 + 1  # 9 events, the breach, the recall
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    assert "Recalled: do not eat this product." in english
    assert "Chub mackerel fillet" in english


def test_places_parties_and_the_recall_reason_read_in_the_pages_language():
    lot = _demo()
    url = f"/01/{lot.product.gtin}/10/{lot.lot_code}"

    korean = Client(HTTP_ACCEPT_LANGUAGE="ko").get(url).content.decode()
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()

    for ko, en in [
        ("대양7호", "Daeyang-ho 7"),
        ("부산공동어시장", "Busan Cooperative Fish Market"),
        ("감천수산 가공공장", "Gamcheon processing plant"),
        ("암남 냉동창고", "Amnam cold store"),
        ("시료에서 히스타민이 법정 기준을 넘었습니다 (시연).", "Histamine above the legal limit"),
    ]:
        assert ko in korean
        assert en not in korean
        assert en in english
        assert ko not in english


def test_a_party_is_named_in_the_readers_language():
    from logistics.models import Party

    party = Party.objects.create(gln="8801234000017", name="Gamcheon Seafood", name_ko="감천수산")
    with translation.override("ko"):
        assert str(party) == "감천수산 (8801234000017)"
    with translation.override("en"):
        assert str(party) == "Gamcheon Seafood (8801234000017)"


def test_unknown_digital_link_is_404():
    assert Client().get("/01/08801234200029/10/NOPE").status_code == 404


def test_event_receipts_verify_after_anchoring(chain):
    lot = _demo()
    chain_testing.anchor_pending()
    from logistics.models import Event

    digest = Event.objects.filter(epcs__identifier=lot.identifier).first().anchor_digest
    response = Client().get(f"/verify/{digest}", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert (body["digest"], body["status"], body["valid"]) == (digest, "confirmed", True)


def test_dashboard_shows_the_b_fresh_panel_with_open_recalls():
    from busanhub.accounts.models import User

    _demo()
    user = User.objects.create_user(email="citizen@example.org", password="x" * 12)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    page = client.get("/me/").content.decode()
    assert "B-Fresh 수산물" in page  # the user's preferred language (Korean by default)
    assert "시료에서 히스타민이 법정 기준을 넘었습니다 (시연)." in page
    assert "Histamine above the legal limit" not in page


def test_home_looks_a_package_up_and_lists_recalls():
    lot = _demo()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/logistics/").content.decode()
    assert "Histamine above the legal limit in a sample (demo)." in page
    assert f"/01/{lot.product.gtin}/10/{lot.lot_code}" in page
    # a GTIN-13 is accepted and normalised to the Digital Link's GTIN-14
    found = client.get("/logistics/", {"gtin": lot.product.gtin[1:], "lot_code": lot.lot_code})
    assert found.status_code == 302
    assert found["Location"] == f"/01/{lot.product.gtin}/10/{lot.lot_code}"
    bad = client.get("/logistics/", {"gtin": "12345678", "lot_code": "X"})
    assert bad.status_code == 200
    assert "Enter a valid GTIN." in bad.content.decode()
    assert client.get(f"/01/{lot.product.gtin[1:]}/10/{lot.lot_code}").status_code == 200


@pytest.mark.django_db
def test_dashboard_panel_links_master_data_for_partners_and_staff_only_and_lists_recalls():
    from django.contrib.auth.models import Group

    from busanhub.accounts.models import User
    from logistics.models import Recall
    from logistics.tests.factories import PartyFactory

    # Given four recalls in force (one closed beside them) and three users
    for n in range(4):
        Recall.objects.create(reason=f"Reason {n}", reason_ko="", status=Recall.Status.NOTIFIED)
    Recall.objects.create(reason="Closed one", status=Recall.Status.CLOSED)
    citizen = User.objects.create_user(email="c@example.org", password="x" * 12)
    partner = User.objects.create_user(email="p@example.org", password="x" * 12)
    PartyFactory().members.add(partner)
    staff = User.objects.create_user(email="s@example.org", password="x" * 12)
    staff.groups.add(Group.objects.get_or_create(name="staff-logistics")[0])

    def panel(user) -> str:
        client = Client()
        client.force_login(user)
        return client.get("/me/").content.decode()

    # Then only the partner and the logistics staff see the master data link
    assert "/logistics/partner/" not in panel(citizen)
    assert "/logistics/partner/" in panel(partner)
    page = panel(staff)
    assert "/logistics/partner/" in page
    # and every reader sees the three newest recalls not closed
    assert [f"Reason {n}" in page for n in range(4)] == [False, True, True, True]
    assert "Closed one" not in page
