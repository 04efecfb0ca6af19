"""B-Fresh web pages: the service home and the consumer provenance page (GS1 Digital Link)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import charts, selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "logistics/home.html", {})


def provenance(request: HttpRequest, gtin: str, lot_code: str) -> HttpResponse:
    """What a consumer sees when scanning the package's QR (`/01/{gtin}/10/{lot}`)."""
    lot = selectors.lot_by_digital_link(gtin=gtin, lot_code=lot_code)
    if lot is None:
        raise Http404
    journey = selectors.lot_provenance(lot)
    return render(
        request,
        "logistics/provenance.html",
        {
            "lot": lot,
            "journey": journey,
            "timeline": charts.timeline(journey),
            "chart": charts.temperature_svg(journey.readings, lot.product.storage_class),
            "route": charts.route_svg(journey),
            "breaches": list(lot.breaches.all())
            + [b for origin in journey.origins for b in origin.breaches.all()],
            "recalls": list(lot.recalls.all()),
            "catch": charts.catch_facts(lot, journey),
        },
    )
