import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from safety.models import Report, ResponseTemplate
from safety.tests.factories import CategoryFactory, UserFactory, make_report, staff_member

pytestmark = pytest.mark.django_db


def _member(role: str):
    return staff_member(role)


@pytest.fixture
def safety_staff(client):
    user = _member("staff-safety")
    client.force_login(user)
    return user


def test_queue_filters_by_status_district_and_overdue(client, safety_staff):
    on_time = make_report()
    late = make_report(lat=35.1587, long=129.1604)
    Report.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    url = reverse("admin:safety_report_changelist")

    overdue = client.get(url, {"overdue": "yes"})
    assert overdue.status_code == 200
    assert [r.pk for r in overdue.context["cl"].result_list] == [late.pk]
    assert [p["id"] for p in overdue.context["map_points"]] == [str(late.public_id)]
    haeundae = client.get(url, {"district": "haeundae"})
    assert [r.pk for r in haeundae.context["cl"].result_list] == [late.pk]
    submitted = client.get(url, {"status__exact": "submitted"})
    assert {r.pk for r in submitted.context["cl"].result_list} == {on_time.pk, late.pk}


@pytest.mark.parametrize(
    ("language", "haeundae", "gijang"),
    [("ko", "해운대구", "기장군"), ("en", "Haeundae-gu", "Gijang-gun")],
)
def test_queue_district_filter_names_the_districts(
    client, safety_staff, language, haeundae, gijang
):
    # Given the officer's language
    safety_staff.preferred_language = language
    safety_staff.save(update_fields=["preferred_language"])
    client.cookies["django_language"] = language
    # When they open the queue
    response = client.get(reverse("admin:safety_report_changelist"))
    # Then the district filter offers the 16 districts by name, in administrative order
    spec = next(
        f
        for f in response.context["cl"].filter_specs
        if getattr(f, "parameter_name", "") == "district"
    )
    names = [title for _code, title in spec.lookup_choices]
    assert len(names) == 16
    assert (names[8], names[15]) == (haeundae, gijang)
    assert spec.lookup_choices[8][0] == "haeundae"
    assert f">{haeundae}</a>" in response.content.decode()


def test_staff_transition_with_template_and_internal_note(client, safety_staff):
    report = make_report()
    template = ResponseTemplate.objects.create(
        name="Ack", status="acknowledged", text_ko="접수했습니다", text_en="Received"
    )
    url = reverse("admin:safety_report_transition", kwargs={"object_id": report.pk})
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "to_status": "acknowledged",
            "template": template.pk,
            "public_note": "",
            "internal_note": "팀 2 배정",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.status_notes, report.version) == (
        "acknowledged",
        "접수했습니다",
        2,
    )
    assert report.updates.last().internal_note == "팀 2 배정"
    assert report.updates.last().actor == safety_staff


def test_bulk_transition(client, safety_staff):
    reports = [make_report() for _ in range(3)]
    url = reverse("admin:safety_report_changelist")
    ids = [str(report.pk) for report in reports]
    intermediate = client.post(url, {"action": "change_status", "_selected_action": ids})
    assert intermediate.status_code == 200
    assert b"apply" in intermediate.content
    done = client.post(
        url,
        {
            "action": "change_status",
            "_selected_action": ids,
            "apply": "1",
            "to_status": "in_progress",
            "public_note": "작업 시작",
        },
    )
    assert done.status_code == 302
    assert set(Report.objects.values_list("status", flat=True)) == {"in_progress"}


def test_assignment_goes_through_the_service(client, safety_staff):
    report = make_report()
    colleague = _member("staff-safety")
    url = reverse("admin:safety_report_change", kwargs={"object_id": report.pk})
    page = client.get(url)
    data = {"assigned_to": colleague.pk}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for field in formset.management_form:
            data[field.html_name] = field.value()
        for form in formset.forms:
            data[form["id"].html_name] = form["id"].value()
    response = client.post(url, data)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.assigned_to == colleague
    assert report.version == 1  # assignment is internal routing, not a new anchored version


def test_dashboard(client, safety_staff):
    make_report(category=CategoryFactory(service_code="LIGHT"))
    response = client.get(reverse("admin:safety_report_dashboard"))
    assert response.status_code == 200
    assert response.context["dashboard"]["open_count"] == 1


def test_auditor_sees_but_cannot_transition(client):
    auditor = _member("auditor")
    client.force_login(auditor)
    report = make_report()
    assert client.get(reverse("admin:safety_report_changelist")).status_code == 200
    url = reverse("admin:safety_report_transition", kwargs={"object_id": report.pk})
    assert client.post(url, {"to_status": "acknowledged"}).status_code == 403
    report.refresh_from_db()
    assert report.status == "submitted"


def test_citizen_cannot_open_the_queue(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:safety_report_changelist"))
    assert response.status_code == 403  # the 403 page, not a loop through the login


def test_issuing_an_api_key_in_the_admin_shows_it_once(client, safety_staff):
    from safety.models import ApiKey
    from safety.services import api_key_hash

    response = client.post(
        reverse("admin:safety_apikey_add"), {"name": "Suyeong App", "is_active": "on"}, follow=True
    )
    assert response.status_code == 200
    (raw_key,) = [
        found.group(0)
        for message in response.context["messages"]
        if (found := re.search(r"o311_[A-Za-z0-9_-]{40}", str(message)))
    ]
    key = ApiKey.objects.get()
    assert (key.name, key.key_hash) == ("Suyeong App", api_key_hash(raw_key))


@pytest.mark.parametrize(("language", "haeundae"), [("ko", "해운대구"), ("en", "Haeundae-gu")])
def test_queue_and_dashboard_name_the_reports_district(client, safety_staff, language, haeundae):
    # Given a report in Haeundae and an officer reading in their language
    make_report(lat=35.1587, long=129.1604)
    safety_staff.preferred_language = language
    safety_staff.save(update_fields=["preferred_language"])
    client.cookies["django_language"] = language
    # When they open the queue, the district column names the district, not its code
    html = client.get(reverse("admin:safety_report_changelist")).content.decode()
    cells = re.findall(r'<td class="field-district_name">(.*?)</td>', html)
    assert cells == [haeundae]
    # ... and so does the dashboard's "open by district" table
    html = client.get(reverse("admin:safety_report_dashboard")).content.decode()
    assert f"<td>{haeundae}</td>" in html
    assert "<td>haeundae</td>" not in html


def test_the_queue_filters_by_assignee_among_staff_not_every_citizen(client, safety_staff):
    # Given a report assigned to a colleague, and a citizen who has filed one
    colleague = _member("staff-safety")
    citizen = UserFactory(email="citizen-filter@example.com")
    assigned = make_report(reporter=citizen)
    Report.objects.filter(pk=assigned.pk).update(assigned_to=colleague)
    make_report()

    # When the queue opens, and is filtered by that colleague
    url = reverse("admin:safety_report_changelist")
    page = client.get(url)
    filtered = client.get(url, {"assigned_to__id__exact": colleague.pk})

    # Then the assignee filter offers staff only, and filters to their report
    assert page.status_code == 200
    assert f"assigned_to__id__exact={colleague.pk}" in page.text
    assert f"assigned_to__id__exact={citizen.pk}" not in page.text
    assert list(filtered.context_data["cl"].result_list) == [assigned]
