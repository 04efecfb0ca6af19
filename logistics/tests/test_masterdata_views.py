"""The partners' "My master data" pages: permissions, forms, deactivation and deletion."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from busanhub.accounts.models import User
from logistics import services
from logistics.models import Event, Location, Lot, Party, Product
from logistics.tests.factories import Chain, gln, object_event, single

pytestmark = pytest.mark.django_db

HOME = "/logistics/partner/"


def _client(email: str, *, party=None, staff=False, language="en") -> Client:
    user = User.objects.create_user(email=email, password="x" * 12, preferred_language=language)
    if party is not None:
        party.members.add(user)
    if staff:
        user.groups.add(Group.objects.get_or_create(name="staff-logistics")[0])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def chain():
    chain = Chain()
    Product.objects.filter(pk=chain.fillet.pk).update(owner=chain.processor)
    chain.fillet.refresh_from_db()
    return chain


def test_anonymous_users_are_sent_to_sign_in_and_non_members_are_refused(chain):
    for url in (HOME, f"{HOME}locations/", f"{HOME}locations/{chain.plant.public_id}/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    outsider = _client("nobody@example.org")
    assert outsider.get(HOME).status_code == 403
    assert outsider.get(f"{HOME}locations/{chain.plant.public_id}/").status_code == 403
    assert (
        outsider.post(
            f"{HOME}locations/{chain.plant.public_id}/active", {"is_active": "0"}
        ).status_code
        == 403
    )
    assert Location.objects.get(pk=chain.plant.pk).is_active


def test_a_member_sees_only_its_own_rows_and_another_partners_row_is_404(chain):
    member = _client("plant@example.org", party=chain.processor)
    page = member.get(f"{HOME}locations/").content.decode()
    assert "Gamcheon plant" in page and "Haeundae shop" not in page
    assert "Mackerel fillet" in member.get(f"{HOME}products/").content.decode()
    assert "Whole mackerel" not in member.get(f"{HOME}products/").content.decode()
    theirs = f"{HOME}locations/{chain.shop.public_id}/"
    assert member.get(theirs).status_code == 404
    assert (
        member.post(theirs, {"gln": chain.shop.gln, "name": "Mine", "kind": "shop"}).status_code
        == 404
    )
    assert member.post(theirs + "active", {"is_active": "0"}).status_code == 404
    assert member.post(theirs + "delete").status_code == 404
    assert member.get(f"{HOME}parties/{chain.retailer.public_id}/").status_code == 404
    assert member.get(f"{HOME}locations/not-a-uuid/").status_code == 404
    assert member.get(f"{HOME}castles/").status_code == 404
    shop = Location.objects.get(pk=chain.shop.pk)
    assert (shop.name, shop.is_active) == ("Haeundae shop", True)
    # staff see every party's rows
    staff = _client("staff@example.org", staff=True)
    page = staff.get(f"{HOME}locations/").content.decode()
    assert "Gamcheon plant" in page and "Haeundae shop" in page
    assert staff.get(theirs).status_code == 200


def test_a_member_creates_edits_and_is_told_about_bad_input_in_korean(chain):
    member = _client("plant@example.org", party=chain.processor, language="ko")
    # a bad check digit is a translated form error; nothing is stored
    bad = member.post(
        f"{HOME}locations/new",
        {"party": chain.processor.pk, "gln": "8801234500006", "name": "Typo", "kind": "plant"},
    )
    assert bad.status_code == 200
    assert "검증 숫자가 올바른 13자리 GLN을 입력하세요." in bad.content.decode()
    assert not Location.objects.filter(name="Typo").exists()
    # another party cannot be chosen as the owner
    foreign = member.post(
        f"{HOME}locations/new",
        {"party": chain.retailer.pk, "gln": gln("881999999996"), "name": "Theirs", "kind": "shop"},
    )
    assert foreign.status_code == 200
    assert not Location.objects.filter(name="Theirs").exists()
    created = member.post(
        f"{HOME}locations/new",
        {
            "party": chain.processor.pk,
            "gln": gln("881999999996"),
            "name": "Amnam",
            "kind": "cold_store",
        },
    )
    location = Location.objects.get(name="Amnam")
    assert created.status_code == 302
    assert created["Location"] == f"{HOME}locations/{location.public_id}/"
    assert location.party == chain.processor
    # edit: a GLN that events use is refused on its field, with the other edits not saved
    edit = f"{HOME}locations/{chain.plant.public_id}/"
    event = object_event(chain, lot=chain.lot(chain.fillet, "F1"), minutes=0, location=chain.plant)
    services.epcis_event_capture(event=single(event))
    frozen = member.post(edit, {"gln": gln("881999999995"), "name": "Renamed", "kind": "plant"})
    assert frozen.status_code == 200
    assert "이벤트에서 사용 중인 GLN은 더 이상 바꿀 수 없습니다." in frozen.content.decode()
    # the page's own words, not another app's translations of the same English
    assert '<label for="id_name">이름</label>' in frozen.content.decode()
    assert ">사용 중지</button>" in frozen.content.decode()
    plant = Location.objects.get(pk=chain.plant.pk)
    assert (plant.gln, plant.name) == (chain.plant.gln, "Gamcheon plant")
    saved = member.post(
        edit, {"gln": chain.plant.gln, "name": "Renamed", "kind": "plant", "latitude": "35.1"}
    )
    assert saved.status_code == 302
    plant.refresh_from_db()
    assert (plant.name, str(plant.latitude)) == ("Renamed", "35.100000")
    # a lot of its own active product
    lot = member.post(f"{HOME}lots/new", {"product": chain.fillet.pk, "lot_code": "GC-1"})
    assert lot.status_code == 302
    assert Lot.objects.get(lot_code="GC-1").product == chain.fillet
    not_its = member.post(f"{HOME}lots/new", {"product": chain.whole.pk, "lot_code": "GC-2"})
    assert not_its.status_code == 200
    assert not Lot.objects.filter(lot_code="GC-2").exists()


def test_deactivate_reactivate_and_delete_from_the_pages(chain):
    member = _client("plant@example.org", party=chain.processor)
    edit = f"{HOME}products/{chain.fillet.gtin}/"
    page = member.get(edit).content.decode()
    assert "Deactivate" in page and 'action="' + edit + 'delete"' in page  # nothing uses it
    assert member.post(edit + "active", {"is_active": "0"}).status_code == 302
    assert not Product.objects.get(pk=chain.fillet.pk).is_active
    listed = member.get(f"{HOME}products/", {"show": "inactive"}).content.decode()
    assert "Mackerel fillet" in listed and "(inactive)" in listed
    assert (
        "Mackerel fillet" not in member.get(f"{HOME}products/", {"show": "active"}).content.decode()
    )
    assert member.post(edit + "active", {"is_active": "maybe"}).status_code == 404
    assert member.post(edit + "active", {"is_active": "1"}).status_code == 302
    assert Product.objects.get(pk=chain.fillet.pk).is_active
    # a used product is not offered for deletion, and a forced delete is refused
    services.lot_create(product=chain.fillet, lot_code="GC-1")
    page = member.get(edit).content.decode()
    assert 'action="' + edit + 'delete"' not in page
    refused = member.post(edit + "delete", follow=True)
    assert "deactivate it instead" in refused.content.decode()
    assert Product.objects.filter(pk=chain.fillet.pk).exists()
    # an unused lot is deleted
    spare = services.lot_create(product=chain.fillet, lot_code="GC-2")
    assert member.post(f"{HOME}lots/{spare.public_id}/delete").status_code == 302
    assert not Lot.objects.filter(pk=spare.pk).exists()
    # GET on a write URL is refused
    assert member.get(edit + "delete").status_code == 405


def test_a_member_creates_a_party_it_then_manages(chain):
    member = _client("new@example.org", party=chain.processor)
    response = member.post(
        f"{HOME}parties/new",
        {"gln": gln("889000000021"), "name": "Gamcheon Cold", "kind": "cold_store"},
    )
    assert response.status_code == 302
    party = Party.objects.get(name="Gamcheon Cold")
    assert party.members.filter(email="new@example.org").exists()
    assert "Gamcheon Cold" in member.get(f"{HOME}parties/").content.decode()
    # the overview counts its rows
    overview = member.get(HOME).content.decode()
    assert "Gamcheon Cold" in overview and "Gamcheon Seafood" in overview
    # the dashboard's B-Fresh panel links members (only) to their master data
    assert f'href="{HOME}"' in member.get("/me/").content.decode()
    assert f'href="{HOME}"' not in _client("citizen@example.org").get("/me/").content.decode()


def test_forms_need_the_csrf_token(chain):
    user = User.objects.create_user(
        email="csrf@example.org", password="x" * 12, preferred_language="en"
    )
    chain.processor.members.add(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    edit = f"{HOME}locations/{chain.plant.public_id}/"
    assert client.post(edit + "active", {"is_active": "0"}).status_code == 403
    assert Location.objects.get(pk=chain.plant.pk).is_active
    page = client.get(edit)
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    assert (
        client.post(edit + "active", {"is_active": "0", "csrfmiddlewaretoken": token}).status_code
        == 302
    )
    assert not Location.objects.get(pk=chain.plant.pk).is_active
    assert Event.objects.count() == 0


def test_list_pages_take_a_fixed_number_of_queries(chain, django_assert_max_num_queries):
    member = _client("plant@example.org", party=chain.processor)
    for index in range(60):
        services.lot_create(product=chain.fillet, lot_code=f"GC-{index}")
    with django_assert_max_num_queries(12):
        page = member.get(f"{HOME}lots/")
    html = page.content.decode()
    assert html.count('data-testid="md-row"') == 50
    assert "Page 1 of 2" in html
    second = member.get(f"{HOME}lots/", {"page": 2}).content.decode()
    assert second.count('data-testid="md-row"') == 10
