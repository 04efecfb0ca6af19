"""The map's points statement is written out for speed (safety.selectors.reports_for_map); it
must keep exactly the rows the public list's query (reports_public) keeps."""

import itertools
import random

import pytest

from safety import selectors
from safety.models import Report
from safety.tests.factories import CategoryFactory, make_report

pytestmark = pytest.mark.django_db


def test_the_map_points_are_the_public_querys_rows_for_every_filter():
    # Given reports of two categories in every status, spread over Busan, one without a place
    rng = random.Random(7)
    categories = [CategoryFactory(), CategoryFactory()]
    for n, status in enumerate(itertools.islice(itertools.cycle(Report.Status.values), 30)):
        report = make_report(
            category=categories[n % 2],
            lat=35.16 + rng.random() * 0.04,
            long=129.05 + rng.random() * 0.05,
        )
        Report.objects.filter(pk=report.pk).update(status=status)
    Report.objects.filter(pk=make_report(category=categories[0]).pk).update(lat=None, long=None)

    # When the map is asked for every combination of viewport, category, status and limit
    boxes = [None, (129.0, 35.1, 129.2, 35.3), (129.06, 35.17, 129.09, 35.19), (0.0, 0.0, 1.0, 1.0)]
    codes = ["", categories[0].service_code, "NOPE"]
    statuses = ["", "open", "closed", Report.Status.RESOLVED]
    for bbox, code, status, limit in itertools.product(boxes, codes, statuses, (5, 2000)):
        points = selectors.reports_for_map(bbox=bbox, service_code=code, status=status, limit=limit)

        # Then it answers the rows of the public query, in its order
        expected = selectors.reports_public(service_code=code, status=status)
        if bbox is not None:
            min_long, min_lat, max_long, max_lat = bbox
            expected = expected.filter(
                lat__gte=min_lat, lat__lte=max_lat, long__gte=min_long, long__lte=max_long
            )
        assert points == list(expected.values(*selectors._PUBLIC_COLUMNS)[:limit]), (
            bbox,
            code,
            status,
            limit,
        )
        if bbox is None:
            assert selectors.reports_public_count(service_code=code, status=status) == (
                expected.count()
            ), (code, status)
    assert selectors.reports_for_map(limit=2000)  # the combinations were not all empty
