"""A citizen reports a hazard on the map, staff resolve it in the admin, everyone can see it."""

import io
import re

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from PIL import Image
from playwright.sync_api import expect

from busanhub.accounts.models import User
from busanhub.accounts.roles import grant_app_permissions
from busanhub.celery import app as celery_app
from busanhub.chain import testing as chain_testing
from safety import services
from safety.models import Category, Report
from safety.seed import seed_catalogue
from tests.browser.helpers import watch_csp
from vouchers import selectors as voucher_selectors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A spot on Haeundae beach road; the existing report is 31 m away from the citizen's pin.
HERE = (35.15870, 129.16040)


@pytest.fixture
def eager_tasks():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def _session_context(browser, live_server, user, **options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844}, **options)
    context.set_default_timeout(10_000)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context


def _watch_csp(page):
    page.csp_violations = []
    page.on(
        "console",
        lambda message: (
            page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def _photo() -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (35.0, 9.0, 31.0), 3: "E", 4: (129.0, 9.0, 37.0)}
    Image.new("RGB", (320, 240), (90, 90, 90)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_citizen_reports_staff_resolve_public_sees(live_server, browser, chain, eager_tasks):
    # Given the catalogue, a neighbour's open report nearby, a citizen and a safety officer
    seed_catalogue()
    streetlight = Category.objects.get(service_code="STREETLIGHT")
    neighbour = User.objects.create_user(email="neighbour@example.kr", password="x" * 12)
    existing = services.report_create(
        category=streetlight,
        lat=HERE[0],
        long=HERE[1],
        description="가로등 꺼짐",
        answers={"STATE": ["OFF"]},
        reporter=neighbour,
    )
    citizen = User.objects.create_user(
        email="haeun@example.kr", password="x" * 12, name="김하은", preferred_language="ko"
    )
    officer = User.objects.create_user(
        email="officer@busan.go.kr", password="x" * 12, is_staff=True
    )
    # Earlier transactional tests may have flushed the groups the migrations made: grant again.
    grant_app_permissions(django_apps, None, group_name="staff-safety", app_labels=["safety"])
    officer.groups.add(Group.objects.get(name="staff-safety"))

    # When the citizen opens the form with their phone's location
    context = _session_context(
        browser,
        live_server,
        citizen,
        geolocation={"latitude": HERE[0], "longitude": HERE[1]},
        permissions=["geolocation"],
    )
    page = _watch_csp(context.new_page())
    page.goto(f"{live_server.url}/safety/report/?category=STREETLIGHT")
    expect(page.get_by_role("heading", level=1)).to_have_text("신고하기")
    page.get_by_role("button", name="내 위치 사용").click()
    expect(page.locator("#id_lat")).to_have_value("35.158700")

    # And moves the pin on the map one pixel to the east: about 31 m at zoom 12, the zoom the
    # location gets on the offline base map (no tile server here; 16 with one)
    page.wait_for_timeout(300)  # the map finishes zooming to the location
    box = page.locator("#report-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 1, box["y"] + box["height"] / 2)
    expect(page.locator("#id_long")).not_to_have_value("129.160400")
    moved = float(page.locator("#id_long").input_value()) - HERE[1]
    assert 0.5 < moved / (360 / (256 * 2**12)) < 1.5  # degrees of longitude per pixel at zoom 12

    # Then the neighbour's report is offered as a possible duplicate; the citizen declines
    nearby = page.locator("#nearby")
    expect(nearby).to_be_visible()
    expect(nearby.get_by_role("link", name="접수")).to_have_attribute(
        "href", f"/safety/reports/{existing.public_id}/"
    )
    expect(nearby.get_by_role("button", name="나도 봤어요")).to_be_visible()
    page.get_by_role("button", name="아니요, 다른 문제입니다").click()
    expect(nearby).to_be_hidden()

    # When they describe it, answer the question, attach a photo and send
    page.get_by_label("어떤 문제인가요?").fill("공원 입구 보안등이 깜빡여요")
    page.get_by_label("상태").select_option("FLICKER")
    page.get_by_label("사진 (최대 5장, JPEG/PNG/WebP, 장당 10MB)").set_input_files(
        {"name": "light.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    page.get_by_role("button", name="신고 보내기").click()

    # Then their report page shows it as submitted
    expect(page.get_by_text("감사합니다. 신고가 접수되었습니다.")).to_be_visible()
    report = Report.objects.exclude(pk=existing.pk).get()
    expect(page).to_have_url(f"{live_server.url}/safety/reports/{report.public_id}/")
    assert report.reporter == citizen and report.photos.count() == 1
    assert (
        20
        < __import__("safety.geo", fromlist=["x"]).distance_m(report.lat, report.long, *HERE)
        < 50
    )

    # When the officer acknowledges and then resolves it in the admin
    staff_context = _session_context(browser, live_server, officer)
    admin = _watch_csp(staff_context.new_page())
    admin.goto(f"{live_server.url}/admin/safety/report/{report.pk}/change/")
    for status, note in (
        ("acknowledged", "현장 확인 예정입니다"),
        ("resolved", "보안등을 교체했습니다"),
    ):
        admin.get_by_role("link", name="상태 변경").click()
        admin.get_by_label("새 상태").select_option(status)
        admin.get_by_label("공개 답변").fill(note)
        admin.get_by_role("button", name="적용").click()
        expect(admin.get_by_text("신고 상태를 변경했습니다.")).to_be_visible()
    report.refresh_from_db()
    assert (report.status, report.version) == ("resolved", 3)

    # And the anchoring pipeline confirms the versions on chain
    chain_testing.anchor_pending()

    # Then the citizen sees the timeline and the verified badge, and got two emails in Korean
    page.reload()
    timeline = page.locator("ol.timeline > li")
    expect(timeline).to_have_count(3)
    expect(timeline.nth(2)).to_contain_text("처리 완료")
    expect(timeline.nth(2)).to_contain_text("보안등을 교체했습니다")
    # And the resolved entry tells the citizen the voucher points they earned, now in their wallet
    expect(timeline.nth(2).locator(".reward")).to_have_text("1,000 포인트를 받았습니다")
    expect(timeline.nth(1).locator(".reward")).to_have_count(0)
    balances = voucher_selectors.wallet_balances(wallet=voucher_selectors.wallet_for(user=citizen))
    assert balances["cashback"] == 1_000
    badge = page.locator(".report-status").get_by_role("link", name="블록체인에서 검증됨")
    expect(badge).to_have_attribute("href", f"/verify/{report.digest}")
    subjects = [message.subject for message in mail.outbox if message.to == [citizen.email]]
    assert subjects == [
        "신고(가로등·보안등 고장)가 다음 상태가 되었습니다: 접수 확인",
        "신고(가로등·보안등 고장)가 다음 상태가 되었습니다: 처리 완료",
    ]

    # And the public map (no account) shows the report, without the reporter
    public = _watch_csp(browser.new_context(locale="ko-KR").new_page())
    public.goto(f"{live_server.url}/safety/map/?status=closed")
    expect(public.locator("#map-list a")).to_have_count(1)
    expect(public.locator("#map-list a")).to_have_attribute("href", report.get_absolute_url())
    expect(public.locator("#public-map")).to_have_attribute("data-count", "1")
    expect(public.locator(".leaflet-marker-icon")).to_have_count(1)
    assert "haeun@example.kr" not in public.content() and "김하은" not in public.content()
    public.goto(f"{live_server.url}{report.get_absolute_url()}")
    assert "김하은" not in public.content()
    expect(public.locator(".reward")).to_have_count(0)  # the reward is the reporter's to see
    expect(public.locator("ul.photos img")).to_have_count(1)
    expect(public.locator("#report-location .leaflet-marker-icon")).to_have_count(1)

    assert page.csp_violations == admin.csp_violations == public.csp_violations == []
    assert re.fullmatch(r"0x[0-9a-f]{64}", report.digest)
    context.close()
    staff_context.close()


def test_public_map_draws_the_servers_clusters_and_a_tap_zooms_to_the_reports(
    live_server, browser, settings
):
    # Given four reports, three at Haeundae beach and one in Gijang, and a map that sends
    # clusters for more than three reports in a viewport
    settings.SAFETY_TILE_URL = ""
    settings.SAFETY_MAP_POINTS_MAX = 3
    seed_catalogue()
    category = Category.objects.get(service_code="POTHOLE")
    for offset in (0, 0.0004, 0.0008):
        services.report_create(category=category, lat=HERE[0] + offset, long=HERE[1])
    services.report_create(category=category, lat=35.2447, long=129.2224)
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = watch_csp(context.new_page())

    # When anyone opens the public map, it shows the city as clusters with their counts
    page.goto(f"{live_server.url}/safety/map/")
    expect(page.locator("#public-map")).to_have_attribute("data-clustered", "true")
    expect(page.locator("#public-map")).to_have_attribute("data-count", "4")
    cells = page.locator("#public-map .marker-cluster")
    expect(cells).to_have_count(2)
    assert sorted(cells.all_inner_texts()) == ["1", "3"]

    # And a tap on the cluster of three zooms in until the reports themselves are drawn
    clustered, taps = True, 0
    while clustered and taps < 4:
        with page.expect_response(lambda response: "/api/v1/safety/map" in response.url) as map:
            page.locator("#public-map .marker-cluster", has_text="3").click()
        clustered, taps = map.value.json()["clustered"], taps + 1
    expect(page.locator("#public-map")).to_have_attribute("data-clustered", "false")
    expect(page.locator("#public-map")).to_have_attribute("data-count", "3")
    assert page.csp_violations == []
