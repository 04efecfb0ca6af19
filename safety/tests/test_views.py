import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from safety import services
from safety.models import ApiKey, Report, ReportPhoto
from safety.tests.factories import (
    CITY_HALL,
    GIMHAE,
    CategoryFactory,
    StaffFactory,
    UserFactory,
    add_attribute,
    jpeg_with_gps,
    make_report,
    staff_member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(client):
    user = UserFactory()
    client.force_login(user)
    return user


def _upload(data: bytes, name: str = "photo.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _form(category, **extra):
    return {
        "service_code": category.service_code,
        "lat": str(CITY_HALL[0]),
        "long": str(CITY_HALL[1]),
        "address": "",
        "description": "보도블록이 깨졌어요",
        **extra,
    }


def test_report_form_requires_login(client):
    response = client.get(reverse("safety:report-new"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_category_step_lists_active_categories(client, citizen):
    CategoryFactory(service_code="POTHOLE", name_ko="도로 파손")
    CategoryFactory(service_code="OLD", name_ko="폐지된 유형", is_active=False)
    response = client.get(reverse("safety:report-new"))
    content = response.content.decode()
    assert "도로 파손" in content and "?category=POTHOLE" in content
    assert "폐지된 유형" not in content


def test_citizen_files_a_report_with_a_photo(client, citizen):
    category = CategoryFactory(service_code="POTHOLE")
    add_attribute(category, code="SIZE", datatype="number", required=True)
    photo = jpeg_with_gps()

    response = client.post(
        reverse("safety:report-new"),
        {**_form(category), "attribute[SIZE]": "2", "photos": [_upload(photo)]},
    )

    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url()
    assert report.reporter == citizen
    assert report.answers == {"SIZE": 2}
    assert report.photos.get().original_bytes() == photo


def test_form_errors_are_in_korean_and_nothing_is_stored(client, citizen):
    category = CategoryFactory()
    add_attribute(category, code="SEEN", datatype="datetime", required=True)
    response = client.post(
        reverse("safety:report-new"),
        {**_form(category, lat=str(GIMHAE[0]), long=str(GIMHAE[1])), "attribute[SEEN]": "어제"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "부산 밖의 위치입니다. 부산 안의 장소만 신고할 수 있습니다." in content
    assert Report.objects.count() == 0


def test_bad_datetime_and_fake_jpeg_are_form_errors(client, citizen):
    category = CategoryFactory()
    add_attribute(category, code="SEEN", datatype="datetime", required=True)
    response = client.post(
        reverse("safety:report-new"),
        {**_form(category), "attribute[SEEN]": "어제 밤"},
    )
    assert response.status_code == 400
    assert "날짜와 시각을 ISO 8601 형식으로 입력하세요" in response.content.decode()
    response = client.post(
        reverse("safety:report-new"),
        {
            **_form(category),
            "attribute[SEEN]": "2026-11-23T21:30",
            "photos": [_upload(b"not an image at all", "virus.jpg")],
        },
    )
    assert response.status_code == 400
    assert "사진 1: 읽을 수 있는 JPEG, PNG, WebP 이미지가 아닙니다." in response.content.decode()
    assert (Report.objects.count(), ReportPhoto.objects.count()) == (0, 0)


def test_oversized_upload_is_refused_before_processing(client, citizen):
    category = CategoryFactory()
    big = b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024)
    response = client.post(
        reverse("safety:report-new"), {**_form(category), "photos": [_upload(big)]}
    )
    assert response.status_code == 400
    assert "사진은 한 장에 10MB 이하여야 합니다." in response.content.decode()
    assert Report.objects.count() == 0


def test_per_user_rate_limit(client, citizen, settings):
    settings.SAFETY_RATE_LIMITS = {"report_user": (1, 3600)}
    category = CategoryFactory()
    first = client.post(reverse("safety:report-new"), _form(category))
    second = client.post(reverse("safety:report-new"), _form(category))
    assert (first.status_code, second.status_code) == (302, 400)
    assert "최근 신고가 많습니다." in second.content.decode()
    assert Report.objects.count() == 1


def test_public_report_page_hides_the_reporter_and_shows_the_timeline(client):
    reporter = UserFactory(email="haeun@example.kr", name="김하은")
    report = make_report(
        reporter=reporter, photo_uploads=[jpeg_with_gps()], contact_phone="010-9999-0000"
    )
    services.report_transition(
        report=report,
        to_status="acknowledged",
        actor=StaffFactory(),
        public_note="현장 확인 예정",
        internal_note="내부 전용 메모",
    )
    response = client.get(report.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert "현장 확인 예정" in content
    assert "접수 확인" in content
    for secret in ("haeun@example.kr", "김하은", "010-9999-0000", "내부 전용 메모", "/original"):
        assert secret not in content
    assert "블록체인 기록 대기 중" in content


def test_public_photo_has_no_exif_and_original_is_staff_only(client):
    report = make_report(photo_uploads=[jpeg_with_gps()])
    photo = report.photos.get()
    public = client.get(photo.get_absolute_url())
    assert public.status_code == 200
    assert dict(Image.open(io.BytesIO(public.content)).getexif()) == {}
    original_url = reverse("safety:photo-original", kwargs={"public_id": photo.public_id})
    client.force_login(UserFactory())
    assert client.get(original_url).status_code == 403
    client.force_login(staff_member("staff-safety"))
    original = client.get(original_url)
    assert original.status_code == 200
    assert original.content == jpeg_with_gps()


def test_me_too_button_follows(client, citizen):
    report = make_report(reporter=UserFactory())
    response = client.post(reverse("safety:report-follow", kwargs={"public_id": report.public_id}))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.weight == 2


def test_my_reports_lists_only_mine(client, citizen):
    mine = make_report(reporter=citizen, description="내 신고")
    other = make_report(reporter=UserFactory())
    content = client.get(reverse("safety:mine")).content.decode()
    assert mine.get_absolute_url() in content
    assert other.get_absolute_url() not in content


def test_map_page_works_without_tiles_and_filters(client, settings):
    settings.SAFETY_TILE_URL = ""
    light = CategoryFactory(service_code="LIGHT")
    shown = make_report(category=light)
    hidden = make_report()
    response = client.get(reverse("safety:map") + "?category=LIGHT")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-tile-url=""' in content
    assert shown.get_absolute_url() in content
    assert hidden.get_absolute_url() not in content


def test_verified_badge_links_to_verify_once_anchored(client, chain):
    from busanhub.chain import testing as chain_testing

    report = make_report()
    chain_testing.anchor_pending()
    content = client.get(report.get_absolute_url()).content.decode()
    assert f'href="/verify/{report.digest}"' in content
    assert "블록체인에서 검증됨" in content


def test_open311_key_command_prints_a_working_key(capsys):
    call_command("open311_key", "Haeundae Volunteers")
    raw_key = capsys.readouterr().out.strip()
    key = ApiKey.objects.get()
    assert key.name == "Haeundae Volunteers"
    assert key.key_hash == services.api_key_hash(raw_key)


def test_dashboard_panel_lists_my_reports(client, citizen):
    report = make_report(reporter=citizen)
    content = client.get("/me/").content.decode()
    assert report.get_absolute_url() in content


def test_dashboard_panel_lists_my_five_newest_reports_in_my_language(client, citizen):
    # Given six reports of the citizen's (the last one acknowledged) and another citizen's
    mine = [make_report(reporter=citizen) for _ in range(6)]
    Report.objects.filter(pk=mine[-1].pk).update(status=Report.Status.ACKNOWLEDGED)
    theirs = make_report(reporter=UserFactory())

    # When the citizen opens /me/ in English, then in Korean (after a first page, where the
    # preferred language is applied)
    client.get("/privacy/")
    client.cookies["django_language"] = "en"
    english = client.get("/me/").content.decode()
    client.cookies["django_language"] = "ko"
    korean = client.get("/me/").content.decode()

    # Then the five newest are listed with their category and status, in each language
    shown = [report.get_absolute_url() in english for report in mine]
    assert shown == [False, True, True, True, True, True]
    assert theirs.get_absolute_url() not in english
    assert f"{mine[-1].category.name_en}</a> · Acknowledged" in english
    assert f"{mine[-1].category.name_ko}</a> · " in korean
    assert "Acknowledged" not in korean


def test_seed_demo_data_is_idempotent():
    from io import StringIO

    from safety.models import Category
    from safety.seed import seed_demo

    citizen = UserFactory()
    staff = StaffFactory()
    seed_demo(stdout=StringIO(), users={"citizen": citizen, "staff-safety": staff})
    seed_demo(stdout=StringIO(), users={"citizen": citizen, "staff-safety": staff})
    assert Category.objects.count() == 7
    assert Report.objects.filter(reporter=citizen).count() == 4
    assert Report.objects.filter(status="acknowledged").count() == 1


def test_public_report_list_is_paginated_with_counts_and_keeps_its_filter(client, settings):
    # Given 23 LIGHT reports by one citizen, another category's report and a report
    # without a location (neither is in the LIGHT list)
    settings.SAFETY_TILE_URL = ""
    light = CategoryFactory(service_code="LIGHT")
    reporter = UserFactory(email="haeun@example.kr")
    listed = [make_report(category=light, reporter=reporter) for _ in range(23)]
    other_category = make_report(reporter=UserFactory())
    unlocated = make_report(
        category=light, lat=None, long=None, address="부산 해운대구 해운대로 100"
    )
    url = reverse("safety:map")

    # When the list is opened filtered, then its second page
    first = client.get(url, {"category": "LIGHT"}).content.decode()
    second = client.get(url, {"category": "LIGHT", "page": "2"}).content.decode()

    # Then (in Korean, the default) 20 rows with the count, the filter kept in the page
    # links, then the last 3
    assert "전체 23개 중 1–20" in first and 'href="?category=LIGHT&amp;page=2"' in first
    assert "전체 23개 중 21–23" in second and 'href="?category=LIGHT&amp;page=1"' in second
    assert sum(report.get_absolute_url() in first for report in listed) == 20
    assert sum(report.get_absolute_url() in second for report in listed) == 3
    for report in (other_category, unlocated):
        assert report.get_absolute_url() not in first + second
    assert "haeun@example.kr" not in first + second


def test_home_lists_every_report_newest_first_in_pages(client, django_assert_max_num_queries):
    # Given 13 reports, oldest first
    reporter = UserFactory(email="haeun@example.kr")
    category = CategoryFactory()
    reports = [make_report(category=category, reporter=reporter) for _ in range(13)]
    url = reverse("safety:home")

    # When the home page is opened, then its second page
    with django_assert_max_num_queries(8):
        first = client.get(url).content.decode()
    second = client.get(url, {"page": "2"}).content.decode()

    # Then (in Korean, the default) the 10 newest with the count and a link to the next page,
    # then the 3 oldest with a link back; the reporter is never shown
    assert "전체 13개 중 1–10" in first and 'href="?page=2"' in first
    assert "전체 13개 중 11–13" in second and 'href="?page=1"' in second
    assert [report.get_absolute_url() in first for report in reports] == [False] * 3 + [True] * 10
    assert [report.get_absolute_url() in second for report in reports] == [True] * 3 + [False] * 10
    assert "haeun@example.kr" not in first + second


def test_map_filters_show_a_renamed_category_and_rows_keep_their_links_and_times(client):
    # Given a category and one of its reports, created at a known time
    from datetime import UTC, datetime

    category = CategoryFactory(service_code="LIGHT", name_ko="가로등", name_en="Street light")
    report = make_report(category=category)
    created = datetime(2026, 3, 1, 15, 30, 5, tzinfo=UTC)
    Report.objects.filter(pk=report.pk).update(created_at=created)
    url = reverse("safety:map")
    first = client.get(url).content.decode()
    assert '<option value="LIGHT">가로등</option>' in first

    # When staff rename the category (the filters are rendered once per catalogue generation)
    category.name_ko = "보안등"
    category.save()
    second = client.get(url).content.decode()

    # Then the filters show the new name, and each row links to its report with its creation
    # time in Korea Standard Time, as before
    assert '<option value="LIGHT">보안등</option>' in second and "가로등" not in second
    assert f'<a href="{report.get_absolute_url()}">보안등</a>' in second
    assert '<time datetime="2026-03-02T00:30:05+09:00">2026-03-02 00:30</time>' in second


def test_map_list_rows_name_the_category_and_status_in_the_readers_language(client):
    category = CategoryFactory(service_code="LIGHT", name_ko="가로등", name_en="Street light")
    report = make_report(category=category)
    url = reverse("safety:map")

    korean = client.get(url, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    link = report.get_absolute_url()
    assert f'<a href="{link}">가로등</a>' in korean and "Street light</a>" not in korean
    assert f'<a href="{link}">Street light</a>' in english
    assert '<span class="status status-submitted">Submitted</span>' in english
    assert '<span class="status status-submitted">Submitted</span>' not in korean


def test_the_map_lists_first_page_is_the_same_from_its_statements_as_from_the_queryset(client):
    for _ in range(23):
        make_report()

    # When the first page is shown from the statements ("1") and from the queryset ("01")
    statements = client.get(reverse("safety:map"), {"page": "1"}).content.decode()
    queryset = client.get(reverse("safety:map"), {"page": "01"}).content.decode()

    # Then the pages are the same (but for the masked CSRF tokens and the page number in links)
    def same(html):
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", html).replace("=01", "=1")

    assert "전체 23개 중 1–20" in statements
    assert same(queryset) == same(statements)
