"""password_recheck: re-entering the password is rate-limited per user and logged."""

import logging

import pytest

from busanhub.accounts.reauth import ReauthLocked, password_recheck
from busanhub.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_five_wrong_passwords_lock_every_action_even_with_the_right_one(settings):
    # given
    settings.REAUTH_MAX_FAILURES, settings.REAUTH_WINDOW_SECONDS = 5, 900
    user = UserFactory()
    for _ in range(5):
        assert password_recheck(user=user, password="guess", action="vouchers.payment") is False
    # when / then: locked for this action and any other, right password or not
    for action in ("vouchers.payment", "identity.key_export"):
        with pytest.raises(ReauthLocked) as locked:
            password_recheck(user=user, password=PASSWORD, action=action)
        assert locked.value.code == "reauth_locked"
        assert 0 < locked.value.retry_after <= 901
        assert str(locked.value).startswith("비밀번호를 여러 번 잘못 입력했습니다.")  # translated
    # another user is not locked
    assert password_recheck(user=UserFactory(), password=PASSWORD, action="vouchers.payment")


def test_the_right_password_clears_the_failures(settings):
    settings.REAUTH_MAX_FAILURES = 5
    user = UserFactory()
    for _ in range(4):
        password_recheck(user=user, password="guess", action="vouchers.payment")
    assert password_recheck(user=user, password=PASSWORD, action="vouchers.payment") is True
    for _ in range(5):
        password_recheck(user=user, password="guess", action="vouchers.payment")
    with pytest.raises(ReauthLocked):
        password_recheck(user=user, password=PASSWORD, action="vouchers.payment")


def test_the_lock_ends_with_the_window(settings):
    settings.REAUTH_MAX_FAILURES, settings.REAUTH_WINDOW_SECONDS = 1, 1
    user = UserFactory()
    password_recheck(user=user, password="guess", action="vouchers.payment")
    with pytest.raises(ReauthLocked):
        password_recheck(user=user, password=PASSWORD, action="vouchers.payment")
    import time

    time.sleep(1.1)
    assert password_recheck(user=user, password=PASSWORD, action="vouchers.payment") is True


def test_attempts_are_logged_without_the_password(caplog):
    user = UserFactory()
    with caplog.at_level(logging.INFO, logger="busanhub.security"):
        password_recheck(user=user, password="s3cret-guess", action="identity.key_export")
        password_recheck(user=user, password=PASSWORD, action="identity.key_export")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        f"reauth failed user={user.pk} action=identity.key_export attempts=1",
        f"reauth ok user={user.pk} action=identity.key_export",
    ]
    assert "s3cret" not in caplog.text and PASSWORD not in caplog.text


def test_parallel_guesses_get_no_more_than_the_allowed_checks(settings):
    # given
    from concurrent.futures import ThreadPoolExecutor

    settings.REAUTH_MAX_FAILURES = 5
    user = UserFactory()

    def guess(index):
        try:
            return password_recheck(user=user, password=f"guess-{index}", action="test")
        except ReauthLocked:
            return "locked"

    # when
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(guess, range(30)))
    # then: five guesses were checked, every other one was refused unchecked
    assert outcomes.count(False) == 5 and outcomes.count("locked") == 25
