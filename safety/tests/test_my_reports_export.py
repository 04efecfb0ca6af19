"""Issue #18 item 8 in safety: "My reports" paginated with counts and downloadable as CSV,
only the requester's reports, a formula-like description kept as text."""

import csv
import io

import pytest
from django.urls import reverse

from safety.tests.factories import CategoryFactory, UserFactory, make_report

pytestmark = pytest.mark.django_db


def test_my_reports_csv_has_only_mine_and_is_formula_safe(client):
    me, other = UserFactory(), UserFactory()
    category = CategoryFactory()
    mine = make_report(category=category, reporter=me, description='=HYPERLINK("http://x","y")')
    make_report(category=category, reporter=other, description="someone else's pothole")
    client.force_login(me)

    response = client.get(reverse("safety:mine-csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="my-safety-reports-' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["report"] for row in rows] == [str(mine.public_id)]
    assert rows[0]["description"] == '\'=HYPERLINK("http://x","y")'
    assert rows[0]["service_code"] == category.service_code
    assert "someone else" not in response.content.decode()


def test_my_reports_csv_needs_a_login(client):
    response = client.get(reverse("safety:mine-csv"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_reports_are_paginated_with_counts(client):
    me = UserFactory(preferred_language="en")
    category = CategoryFactory()
    for number in range(23):
        make_report(category=category, reporter=me, description=f"report {number}")
    client.force_login(me)

    first = client.get(reverse("safety:mine")).content.decode()
    second = client.get(reverse("safety:mine"), {"page": "2"}).content.decode()

    assert "1–20 of 23" in first and 'href="?page=2"' in first
    assert "21–23 of 23" in second and 'href="?page=1"' in second
    assert first.count("<tr><td><a href=") == 20 and second.count("<tr><td><a href=") == 3
    assert reverse("safety:mine-csv") in first
