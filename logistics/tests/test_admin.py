"""The recall workflow in the admin, as staff-logistics does it."""

import io
import re
from urllib.parse import quote_plus

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from busanhub.accounts.models import User
from logistics import demo
from logistics.models import Alert, Event, Lot, Recall

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    user = User.objects.create_user(email="fresh@example.org", password="x" * 12, is_staff=True)
    user.groups.add(Group.objects.get(name="staff-logistics"))
    client = Client()
    client.force_login(user)
    return client


def test_staff_recall_workflow_choose_review_notify_export(staff_client):
    demo.seed(stdout=io.StringIO(), users={})
    Recall.objects.all().delete()
    Lot.objects.update(status=Lot.Status.ACTIVE)
    whole = Lot.objects.get(lot_code=demo.DEMO_LOT)
    # choose lots: the action shows every affected lot before asking for a reason
    review = staff_client.post(
        "/admin/logistics/lot/", {"action": "start_recall", "_selected_action": [whole.pk]}
    )
    assert review.status_code == 200
    assert demo.DEMO_FILLET in review.content.decode()
    assert Recall.objects.count() == 0
    opened = staff_client.post(
        "/admin/logistics/lot/",
        {"action": "start_recall", "_selected_action": [whole.pk], "reason": "Histamine"},
    )
    recall = Recall.objects.get()
    assert opened.status_code == 302
    assert recall.affected_lots.count() == 2
    page = staff_client.get(f"/admin/logistics/recall/{recall.pk}/change/").content.decode()
    assert "해운대신선마트" in page  # the staff user reads Korean
    # notify: one alert per holder of an affected lot, once
    alerts_before = Alert.objects.count()
    assert staff_client.post(f"/admin/logistics/recall/{recall.pk}/notify/").status_code == 302
    assert Alert.objects.count() == alerts_before + 2
    assert staff_client.post(f"/admin/logistics/recall/{recall.pk}/notify/").status_code == 302
    assert Alert.objects.count() == alerts_before + 2
    # export
    csv_response = staff_client.get(f"/admin/logistics/recall/{recall.pk}/export.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.decode().splitlines()[0].startswith("Traceability Lot Code,")
    xlsx = staff_client.get(f"/admin/logistics/recall/{recall.pk}/export.xlsx")
    assert xlsx.content[:2] == b"PK"


def test_auditor_sees_but_cannot_recall():
    demo.seed(stdout=io.StringIO(), users={})
    user = User.objects.create_user(email="aud@example.org", password="x" * 12, is_staff=True)
    user.groups.add(Group.objects.get(name="auditor"))
    client = Client()
    client.force_login(user)
    recalls_before = Recall.objects.count()
    assert client.get("/admin/logistics/lot/").status_code == 200
    response = client.post(
        "/admin/logistics/lot/",
        {"action": "start_recall", "_selected_action": [Lot.objects.first().pk], "reason": "x"},
    )
    # the action is not offered to a view-only auditor: the list comes back, nothing recalled
    assert response.status_code == 200
    assert b"start_recall" not in response.content
    assert Recall.objects.count() == recalls_before


def test_the_admin_refuses_to_delete_used_master_data_and_deletes_unused(staff_client):
    from logistics import services
    from logistics.models import Location
    from logistics.tests.factories import Chain, gln, object_event, single

    chain = Chain()
    event = object_event(chain, lot=chain.lot(chain.whole, "L1"), minutes=0, location=chain.plant)
    services.epcis_event_capture(event=single(event))
    used = f"/admin/logistics/location/{chain.plant.pk}/delete/"
    assert staff_client.get(used).status_code == 403
    assert staff_client.post(used, {"post": "yes"}).status_code == 403
    assert Location.objects.filter(pk=chain.plant.pk).exists()
    # no bulk delete that would skip the check
    listing = staff_client.get("/admin/logistics/location/?is_active__exact=1")
    assert listing.status_code == 200
    assert "delete_selected" not in listing.content.decode()
    spare = services.location_create(
        party=chain.processor, gln=gln("881999999994"), name="Spare", kind="plant"
    )
    unused = f"/admin/logistics/location/{spare.pk}/delete/"
    assert staff_client.get(unused).status_code == 200
    assert staff_client.post(unused, {"post": "yes"}).status_code == 302
    assert not Location.objects.filter(pk=spare.pk).exists()


@pytest.mark.parametrize(
    ("language", "cumulative", "hard_limit"),
    [
        ("ko", "허용 범위 밖 시간 초과", "절대 한계 온도 초과"),
        ("en", "Too long out of range", "Beyond the hard temperature limit"),
    ],
)
def test_breach_reasons_are_labelled_in_the_admin(staff_client, language, cumulative, hard_limit):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from logistics.models import Breach

    demo.seed(stdout=io.StringIO(), users={})
    Breach.objects.all().delete()
    lot = Lot.objects.get(lot_code=demo.DEMO_LOT)
    now = timezone.now()
    for hours, reason in ((2, "cumulative"), (1, "hard_limit")):
        Breach.objects.create(
            lot=lot,
            started_at=now - timedelta(hours=hours),
            ended_at=now - timedelta(hours=hours) + timedelta(minutes=40),
            minutes_out_of_range=40,
            extreme_celsius=Decimal("9.5"),
            reason=reason,
        )
    User.objects.filter(email="fresh@example.org").update(preferred_language=language)
    staff_client.cookies["django_language"] = language
    html = staff_client.get("/admin/logistics/breach/").content.decode()
    cells = re.findall(r'<td class="field-reason">(.*?)</td>', html)
    assert sorted(cells) == sorted([cumulative, hard_limit])
    assert ">cumulative<" not in html and ">hard_limit<" not in html


def test_the_event_list_filters_by_each_business_step_the_events_have(staff_client):
    # Given the demo's events, with their business steps
    demo.seed(stdout=io.StringIO(), users={})
    distinct = list(
        Event.objects.order_by("biz_step").values_list("biz_step", flat=True).distinct()
    )
    assert len(distinct) > 1

    # When the event list opens
    response = staff_client.get("/admin/logistics/event/")

    # Then its business step filter offers exactly the distinct steps, in order
    assert response.status_code == 200
    spec = next(
        spec
        for spec in response.context_data["cl"].filter_specs
        if getattr(spec, "lookup_kwarg", "") == "biz_step"
    )
    assert list(spec.lookup_choices) == distinct
    for step in distinct:
        assert f"biz_step={quote_plus(step)}" in response.text
