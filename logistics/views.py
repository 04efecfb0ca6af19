"""B-Fresh web pages: the service home, the consumer provenance page (GS1 Digital Link) and
the partners' "My master data" pages."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, pgettext, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import charts, forms, selectors, services
from .auth import user_edits_everything
from .epcis import identifiers
from .forms import LookupForm
from .models import Location, Lot, Party, Product


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
    breaches = list(lot.breaches.all()) + [
        breach for origin in journey.origins for breach in origin.breaches.all()
    ]
    return render(
        request,
        "logistics/provenance.html",
        {
            "lot": lot,
            "journey": journey,
            "timeline": charts.timeline(journey),
            "chart": charts.temperature_svg(journey.readings, lot.product.storage_class),
            "route": charts.route_svg(journey, language=get_language() or "ko"),
            "route_stops": charts.route_stops(journey),
            "breaches": charts.breach_summaries(
                breaches, journey.readings, lot.product.storage_class
            ),
            "recalls": list(lot.recalls.all()),
            "catch": charts.catch_facts(lot, journey),
        },
    )


# "My master data": a partner company's members manage their parties, locations, products and
# lots; logistics staff manage every party's. Every write goes through the services.


@dataclass(frozen=True)
class _Kind:
    """How the master-data pages treat one kind of row."""

    slug: str
    title: str
    model: type
    form: type[django_forms.Form]
    key: str  # the public identifier in URLs
    fields: tuple[str, ...]  # the form fields the update service takes
    can_deactivate: bool
    rows: Callable  # (parties or None) → queryset
    create: Callable  # (form data, user, scope) → row
    update: Callable  # (row, changes) → row
    delete: Callable  # (row) → None
    is_referenced: Callable  # (row) → bool
    describe: Callable  # (row) → (name, identifier, details)


def _owned(field: str, queryset):
    return lambda parties: (
        queryset if parties is None else queryset.filter(**{f"{field}__in": parties})
    )


_KINDS = {
    kind.slug: kind
    for kind in (
        _Kind(
            slug="parties",
            title=pgettext_lazy("b-fresh", "Parties"),
            model=Party,
            form=forms.PartyForm,
            key="public_id",
            fields=("gln", "name", "name_ko", "kind", "contact_email", "company_prefix"),
            can_deactivate=True,
            rows=lambda parties: (
                Party.objects.order_by("name")
                if parties is None
                else Party.objects.filter(pk__in=[p.pk for p in parties]).order_by("name")
            ),
            create=lambda data, user, scope: services.party_create(
                member=user if scope is not None else None, **data
            ),
            update=lambda row, changes: services.party_update(party=row, changes=changes),
            delete=lambda row: services.party_delete(party=row),
            is_referenced=services.party_is_referenced,
            describe=lambda row: (row.localized_name, row.gln, row.get_kind_display()),
        ),
        _Kind(
            slug="locations",
            title=pgettext_lazy("b-fresh", "Locations"),
            model=Location,
            form=forms.LocationForm,
            key="public_id",
            fields=("gln", "name", "name_ko", "kind", "latitude", "longitude"),
            can_deactivate=True,
            rows=_owned("party", Location.objects.select_related("party").order_by("name")),
            create=lambda data, user, scope: services.location_create(**data),
            update=lambda row, changes: services.location_update(location=row, changes=changes),
            delete=lambda row: services.location_delete(location=row),
            is_referenced=services.location_is_referenced,
            describe=lambda row: (
                row.localized_name,
                row.gln,
                f"{row.get_kind_display()} · {row.party.localized_name}",
            ),
        ),
        _Kind(
            slug="products",
            title=pgettext_lazy("b-fresh", "Products"),
            model=Product,
            form=forms.ProductForm,
            key="gtin",
            fields=("gtin", "name", "name_ko", "species", "product_form", "storage_class"),
            can_deactivate=True,
            rows=_owned("owner", Product.objects.select_related("owner").order_by("name")),
            create=lambda data, user, scope: services.product_create(**data),
            update=lambda row, changes: services.product_update(product=row, changes=changes),
            delete=lambda row: services.product_delete(product=row),
            is_referenced=services.product_is_referenced,
            describe=lambda row: (
                row.localized_name,
                row.gtin,
                f"{row.get_product_form_display()} · {row.get_storage_class_display()}",
            ),
        ),
        _Kind(
            slug="lots",
            title=pgettext_lazy("b-fresh", "Lots"),
            model=Lot,
            form=forms.LotForm,
            key="public_id",
            fields=("lot_code", "trace_number"),
            can_deactivate=False,
            rows=_owned(
                "product__owner",
                Lot.objects.select_related("product").order_by("-created_at", "-pk"),
            ),
            create=lambda data, user, scope: services.lot_create(**data),
            update=lambda row, changes: services.lot_update(lot=row, changes=changes),
            delete=lambda row: services.lot_delete(lot=row),
            is_referenced=services.lot_is_referenced,
            describe=lambda row: (
                f"{row.product.localized_name} · {row.lot_code}",
                row.identifier,
                row.get_status_display(),
            ),
        ),
    )
}
_PER_PAGE = 50


def _scope(request: HttpRequest) -> list[Party] | None:
    """The parties whose master data the user manages; None for logistics staff (all).

    Signed-in users who are neither members of a party nor staff are refused (403)."""
    if user_edits_everything(request.user):
        return None
    parties = list(Party.objects.filter(members=request.user).order_by("name"))
    if not parties:
        raise PermissionDenied(_("Only members of a B-Fresh partner company manage master data."))
    return parties


def _kind(slug: str) -> _Kind:
    if slug not in _KINDS:
        raise Http404
    return _KINDS[slug]


def _row(kind: _Kind, scope, key: str):
    """The row, if the user may manage it; someone else's row is 404 like a missing one."""
    try:
        row = kind.rows(scope).filter(**{kind.key: key}).first()
    except (ValueError, DjangoValidationError):  # not a UUID
        row = None
    if row is None:
        raise Http404
    return row


def _choices(scope):
    """The parties a new row may belong to: the member's own, or every active party for staff."""
    if scope is None:
        return Party.objects.filter(is_active=True).order_by("name")
    return Party.objects.filter(pk__in=[party.pk for party in scope], is_active=True)


def _add_errors(form: django_forms.Form, error: DjangoValidationError) -> None:
    """A service's refusal shown on the form: on its field when the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages_of_field in error.message_dict.items():
        target = field if field in form.fields else None
        for message in messages_of_field:
            form.add_error(target, message)


def _tabs(active: str) -> list[dict]:
    return [
        {"slug": kind.slug, "title": kind.title, "active": kind.slug == active}
        for kind in _KINDS.values()
    ]


@login_required
@require_GET
def masterdata_home(request: HttpRequest) -> HttpResponse:
    """The overview: the user's parties and how many rows of each kind they hold."""
    scope = _scope(request)
    counts = []
    for kind in _KINDS.values():
        rows = kind.rows(scope)
        counts.append(
            {
                "slug": kind.slug,
                "title": kind.title,
                "total": rows.count(),
                "inactive": rows.filter(is_active=False).count() if kind.can_deactivate else 0,
            }
        )
    return render(
        request,
        "logistics/masterdata/home.html",
        {"scope": scope, "counts": counts, "tabs": _tabs("")},
    )


@login_required
@require_GET
def masterdata_list(request: HttpRequest, kind: str) -> HttpResponse:
    """One kind's rows, 50 a page; `?show=active|inactive` filters deactivated rows."""
    spec = _kind(kind)
    scope = _scope(request)
    rows = spec.rows(scope)
    show = request.GET.get("show", "all")
    if spec.can_deactivate and show in ("active", "inactive"):
        rows = rows.filter(is_active=show == "active")
    else:
        show = "all"
    page = Paginator(rows, _PER_PAGE).get_page(request.GET.get("page"))
    items = []
    for row in page:
        name, identifier, details = spec.describe(row)
        items.append(
            {
                "name": name,
                "identifier": identifier,
                "details": details,
                "is_active": getattr(row, "is_active", True),
                "key": getattr(row, spec.key),
            }
        )
    return render(
        request,
        "logistics/masterdata/list.html",
        {"kind": spec, "page": page, "items": items, "show": show, "tabs": _tabs(spec.slug)},
    )


@login_required
def masterdata_create(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _kind(kind)
    scope = _scope(request)
    form = spec.form(request.POST or None, parties=_choices(scope))
    if request.method == "POST" and form.is_valid():
        try:
            row = spec.create(form.cleaned_data, request.user, scope)
        except DjangoValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, pgettext("b-fresh", "Saved."))
            return redirect("logistics:md-edit", spec.slug, getattr(row, spec.key))
    return render(
        request,
        "logistics/masterdata/form.html",
        {"kind": spec, "form": form, "row": None, "tabs": _tabs(spec.slug)},
    )


@login_required
def masterdata_edit(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    spec = _kind(kind)
    row = _row(spec, _scope(request), key)
    initial = {field: getattr(row, field) for field in spec.fields}
    form = spec.form(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in spec.fields}
        try:
            row = spec.update(row, changes)
        except DjangoValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, pgettext("b-fresh", "Saved."))
            return redirect("logistics:md-edit", spec.slug, getattr(row, spec.key))
    name, identifier, details = spec.describe(row)
    return render(
        request,
        "logistics/masterdata/form.html",
        {
            "kind": spec,
            "form": form,
            "row": row,
            "name": name,
            "identifier": identifier,
            "details": details,
            "is_active": getattr(row, "is_active", True),
            "can_delete": not spec.is_referenced(row),
            "key": getattr(row, spec.key),
            "tabs": _tabs(spec.slug),
        },
    )


@login_required
@require_POST
def masterdata_set_active(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """Deactivates (`is_active=0`) or reactivates (`is_active=1`) a row."""
    spec = _kind(kind)
    row = _row(spec, _scope(request), key)
    value = request.POST.get("is_active")
    if not spec.can_deactivate or value not in ("0", "1"):
        raise Http404
    if spec.slug == "parties" and value == "1" and not user_edits_everything(request.user):
        # A deactivated party's keys and members act for nobody: only staff bring it back.
        raise PermissionDenied(_("Only logistics staff reactivate a party."))
    row = spec.update(row, {"is_active": value == "1"})
    if row.is_active:
        messages.success(request, _("Reactivated: new events may name it again."))
    else:
        messages.success(request, _("Deactivated: new events may no longer name it."))
    return redirect("logistics:md-edit", spec.slug, getattr(row, spec.key))


@login_required
@require_POST
def masterdata_delete(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """Deletes a row nothing uses; a used row stays (deactivate it instead)."""
    spec = _kind(kind)
    row = _row(spec, _scope(request), key)
    try:
        spec.delete(row)
    except DjangoValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("logistics:md-edit", spec.slug, getattr(row, spec.key))
    messages.success(request, pgettext("b-fresh", "Deleted."))
    return redirect("logistics:md-list", spec.slug)
