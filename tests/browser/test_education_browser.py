"""Education end to end in a real Chromium: a student enrolls, reads, passes the quiz, completes a
chain lab on anvil, receives the certificate, and an anonymous visitor sees it verified."""

import re

import pytest
from playwright.sync_api import expect

from busanhub.chain import testing as chain_testing
from education import tasks
from education.models import Certificate, Enrollment
from education.tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    UserFactory,
    quiz_for,
)
from tests.browser.helpers import signed_in_page as _signed_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_student_earns_a_certificate_that_a_visitor_sees_verified(
    live_server, browser, page, chain, settings
):
    # Given a course with a reading, a quiz and a chain lab, and a student
    settings.SITE_URL = live_server.url
    course = CourseFactory(title="Anchoring in practice")
    module = ModuleFactory(course=course, title="Anchoring")
    LessonFactory(module=module, title="Hash functions", body="A **digest** is 32 bytes.")
    quiz_for(module, max_attempts=2)
    LessonFactory(
        module=module,
        title="Anchor your digest",
        kind="lab",
        lab_task="anchor_digest",
        body="Anchor a digest of your own.",
    )
    student = UserFactory(preferred_language="en")
    student_page = _signed_in_page(browser, live_server, student)

    # When the student finds the course in the catalogue and enrolls
    student_page.goto(f"{live_server.url}/education/?q=anchoring")
    student_page.get_by_role("link", name="Anchoring in practice").click()
    student_page.get_by_role("button", name="Enroll").click()
    expect(student_page.get_by_text("You are enrolled.")).to_be_visible()

    # ... reads the lesson
    student_page.get_by_role("link", name="Hash functions").click()
    expect(student_page.locator("article strong")).to_have_text("digest")
    student_page.get_by_role("button", name="Mark as completed").click()
    expect(student_page.get_by_text("You completed this lesson.")).to_be_visible()

    # ... passes the quiz
    student_page.get_by_role("link", name=re.compile("^Quiz")).click()
    student_page.get_by_role("button", name="Start the quiz").click()
    student_page.get_by_label("256 bits").check()
    student_page.get_by_label("SHA-256").check()
    student_page.get_by_label("Keccak-256").check()
    student_page.get_by_label("Your answer (a number)").fill("8")
    student_page.get_by_role("button", name="Submit answers").click()
    expect(student_page.get_by_text("Your score: 100%")).to_be_visible()

    # ... and completes the chain lab: anchors from the sandbox, hands in the transaction
    student_page.get_by_role("link", name=re.compile("Anchor your digest")).click()
    student_page.get_by_role("button", name="Start the lab").click()
    expect(student_page.locator("#sandbox-address")).to_have_text(re.compile("^0x[0-9a-fA-F]{40}$"))
    student_page.get_by_label("Text to anchor").fill("My first anchored digest")
    student_page.get_by_role("button", name="Send anchor() from my sandbox").click()
    message = student_page.get_by_text(re.compile("Anchored in transaction 0x"))
    tx_hash = re.search(r"0x[0-9a-f]{64}", message.inner_text()).group(0)
    student_page.get_by_label("Transaction hash").fill(tx_hash)
    student_page.get_by_role("button", name="Check my transaction on chain").click()
    expect(student_page.locator("#lab-result")).to_be_visible()
    assert Enrollment.objects.get(student=student).status == "completed"

    # Then the worker issues the course's batch and the pipeline anchors it
    assert tasks.certificates_issue_for_course.apply(args=[course.pk]).get() == 1
    chain_testing.anchor_pending()

    # ... the student finds the certificate in "My learning"
    student_page.goto(f"{live_server.url}/education/me/")
    student_page.get_by_role("link", name="View certificate").click()
    certificate = Certificate.objects.get()
    expect(student_page).to_have_url(f"{live_server.url}/certificates/{certificate.public_id}")

    # ... and an anonymous visitor (Korean) opens the shared link and sees it verified
    page.goto(f"{live_server.url}/certificates/{certificate.public_id}")
    expect(page.locator("#certificate-outcome")).to_have_text(
        "검증됨: 이 수료증은 진본이며 유효합니다."
    )
    expect(page.get_by_role("img", name="공유 링크의 QR 코드")).to_be_visible()
    page.get_by_role("link", name="체인에서 검증됨").click()
    expect(page).to_have_url(re.compile(r"/verify/0x[0-9a-f]{64}$"))
    assert page.csp_violations == []
    assert student_page.csp_violations == []


@pytest.mark.parametrize(
    ("language", "viewport", "hint", "failed", "passed"),
    [
        (
            "ko",
            {"width": 390, "height": 844},
            "해당하는 것을 모두 고르세요",
            "불합격 (합격 기준 70%)",
            "합격 (합격 기준 70%)",
        ),
        (
            "en",
            {"width": 1280, "height": 900},
            "Select all that apply",
            "Not passed (pass mark 70%)",
            "Passed (pass mark 70%)",
        ),
    ],
)
def test_the_quiz_result_says_pass_or_fail(
    live_server, browser, language, viewport, hint, failed, passed
):
    # Given a student enrolled in a course whose pass mark is 70 %, on a phone (ko) or desktop (en)
    course = CourseFactory(title="Merkle trees", pass_mark=70)
    quiz = quiz_for(ModuleFactory(course=course), max_attempts=2)
    student = UserFactory(preferred_language=language)
    Enrollment.objects.create(course=course, student=student, status="active")
    page = _signed_in_page(browser, live_server, student, viewport=viewport)
    page.goto(f"{live_server.url}{quiz.get_absolute_url()}")
    start = page.get_by_role("button", name=re.compile("퀴즈 시작|Start the quiz"))

    # When they answer only the multi-answer question right (33 %)
    start.click()
    multiple = page.locator("fieldset", has_text="Which are hash functions?")
    expect(multiple.locator("legend")).to_contain_text(hint)
    page.get_by_label("128 bits").check()
    page.get_by_label("SHA-256").check()
    page.get_by_label("Keccak-256").check()
    page.locator("input[inputmode=decimal]").fill("9")
    page.locator("main form button[type=submit]").click()

    # Then the result says they did not pass, against the course's pass mark
    expect(page.locator("#quiz-verdict")).to_have_text(failed)

    # When they try again and answer everything right
    start.click()
    page.get_by_label("256 bits").check()
    page.get_by_label("SHA-256").check()
    page.get_by_label("Keccak-256").check()
    page.locator("input[inputmode=decimal]").fill("8")
    page.locator("main form button[type=submit]").click()

    # Then they passed
    expect(page.locator("#quiz-verdict")).to_have_text(passed)
    assert page.csp_violations == []
