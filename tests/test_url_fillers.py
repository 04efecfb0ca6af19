"""busanhub.url_fillers: a page's row URLs from one reverse() equal reverse() per row."""

import uuid

import pytest
from django.urls import reverse

from busanhub.url_fillers import url_filler


def test_filled_urls_are_reverses_urls():
    ids = [uuid.uuid4() for _ in range(3)]
    digest = "0x" + "ab" * 32
    detail = url_filler("safety:report-detail")
    verify = url_filler("chain:verify-digest", "0x" + "0" * 64)

    assert [detail(i) for i in ids] == [reverse("safety:report-detail", args=[i]) for i in ids]
    assert verify(digest) == reverse("chain:verify-digest", args=[digest])


def test_a_placeholder_the_pattern_refuses_fails_at_once():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        url_filler("safety:report-detail", "not-a-uuid")
