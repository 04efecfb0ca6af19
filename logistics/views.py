"""B-Fresh web pages: the service home and the consumer provenance page (GS1 Digital Link)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from . import charts, selectors
from .epcis import identifiers
from .forms import LookupForm


def home(request: HttpRequest) -> HttpResponse:
    """The service page: look a package up by GTIN and lot, and the recalls in force."""
    form = LookupForm(request.GET or None)
    if form.is_valid():
        return redirect(
            "logistics:provenance", form.cleaned_data["gtin"], form.cleaned_data["lot_code"]
        )
    return render(
        request,
        "logistics/home.html",
        {"form": form, "recalls": selectors.recalls_in_force()},
    )


def provenance(request: HttpRequest, gtin: str, lot_code: str) -> HttpResponse:
    """What a consumer sees when scanning the package's QR (`/01/{gtin}/10/{lot}`)."""
    try:
        gtin = identifiers.normalize_gtin(gtin)
    except ValueError as exc:
        raise Http404 from exc
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
