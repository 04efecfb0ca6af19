"""Citizen and public pages: report form, my reports, public report page, public map."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from busanhub import spreadsheet
from busanhub.pagination import PER_PAGE, is_first_page, page_of
from busanhub.url_fillers import url_filler

from . import catalogue, exports, photo_files, photos, selectors, services, throttle
from .forms import ReportForm
from .models import Category, Report, ReportPhoto


def _tile_url() -> str:
    return getattr(settings, "SAFETY_TILE_URL", "")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # Every report is public (its page, the map): the home page lists them all, newest first.
    recent = page_of(
        request,
        Report.objects.select_related("category").order_by("-created_at", "-pk"),
        per_page=10,
    )
    return render(request, "safety/home.html", {"recent": recent})


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    categories = catalogue.categories_active_cached()
    code = request.POST.get("service_code") or request.GET.get("category", "")
    category = next((item for item in categories if item.service_code == code), None)
    if category is None:
        return render(request, "safety/report_category.html", {"categories": categories})
    status = 400 if request.method == "POST" else 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, category=category)
        if form.is_valid():
            if not throttle.allow(scope="report_user", ident=str(request.user.public_id)):
                form.add_error(None, _("You have sent many reports recently. Please try later."))
            else:
                try:
                    report = services.report_create(
                        category=category,
                        lat=form.cleaned_data["lat"] or None,
                        long=form.cleaned_data["long"] or None,
                        address=form.cleaned_data["address"],
                        description=form.cleaned_data["description"],
                        answers=form.answers(),
                        photo_uploads=[upload.read() for upload in form.cleaned_data["photos"]],
                        reporter=request.user,
                    )
                except ValidationError as error:
                    form.add_service_errors(error.message_dict)
                except photos.DecodeSlotsBusy:
                    # The photos may be fine: the server is busy decoding others' photos.
                    form.add_error(
                        None,
                        _(
                            "The server is busy processing other photos. Please choose your "
                            "photos again and send in a moment."
                        ),
                    )
                    status = 503
                else:
                    messages.success(request, _("Thank you. Your report was filed."))
                    return redirect(report)
    else:
        form = ReportForm(category=category)
    response = render(
        request,
        "safety/report_form.html",
        {"form": form, "category": category, "tile_url": _tile_url()},
        status=status,
    )
    if status == 503:
        response["Retry-After"] = "10"
    return response


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    reports = page_of(request, selectors.reports_of_user(user=request.user))
    return render(request, "safety/my_reports.html", {"reports": reports})


@login_required
@require_GET
def my_reports_csv(request: HttpRequest) -> HttpResponse:
    """The requester's own reports as CSV."""
    day = timezone.localdate().isoformat()
    return spreadsheet.csv_response(
        exports.my_reports_csv(user=request.user), filename=f"my-safety-reports-{day}.csv"
    )


@require_GET
def public_map(request: HttpRequest) -> HttpResponse:
    service_code = request.GET.get("category", "")
    status = request.GET.get("status", "")
    if status not in ("", "open", "closed", *Report.Status.values):
        status = ""
    # The first page (nearly every visit) by the written-out statements of the map's points.
    points = page_of(
        request,
        selectors.reports_public_rows(service_code=service_code, status=status),
        first_rows=selectors.reports_for_map(
            service_code=service_code, status=status, limit=PER_PAGE + 1
        )
        if is_first_page(request)
        else None,
        count=lambda: selectors.reports_public_count(service_code=service_code, status=status),
    )
    # What the template's {% url %} and two |date filters made of each row, once per page: the
    # detail URL's prefix and the creation time in the active time zone.
    detail_url = url_filler("safety:report-detail")
    # The category's name in the page's language and each status's label, translated once.
    name = "category__name_en" if get_language() == "en" else "category__name_ko"
    labels: dict[str, str] = {}
    for point in points:
        status_label = labels.get(point["status"])
        if status_label is None:
            status_label = labels[point["status"]] = str(Report.Status(point["status"]).label)
        point["status_label"] = status_label
        point["name"] = point[name]
        point["url"] = detail_url(point["public_id"])
        created = timezone.localtime(point["created_at"])
        point["created_iso"] = created.isoformat()
        point["created_shown"] = created.strftime("%Y-%m-%d %H:%M")
    return render(
        request,
        "safety/map.html",
        {
            "categories": Category.objects.filter(is_active=True),
            "statuses": Report.Status.choices,
            "service_code": service_code,
            "status": status,
            # The filters are the same for every reader of a catalogue generation, status and
            # language ({% shared %}); a category filter of any value renders them anew.
            "filters_key": f"{catalogue.CATALOGUE.current()}:{status}" if not service_code else "",
            "points": points,
            "tile_url": _tile_url(),
        },
    )


@require_GET
def report_detail(request: HttpRequest, public_id) -> HttpResponse:
    report = get_object_or_404(
        Report.objects.select_related("category__department", "duplicate_of"), public_id=public_id
    )
    # Each entry's anchoring state comes from the template's one anchor_prefetch query.
    timeline = list(selectors.report_timeline(report=report))
    is_follower = (
        request.user.is_authenticated and report.followers.filter(user=request.user).exists()
    )
    return render(
        request,
        "safety/report_detail.html",
        {
            "report": report,
            "timeline": timeline,
            "photos": report.photos.only("public_id", "position", "width", "height"),
            "is_follower": is_follower,
            "is_reporter": request.user.is_authenticated and report.reporter_id == request.user.pk,
            "tile_url": _tile_url(),
        },
    )


@login_required
@require_POST
def report_follow(request: HttpRequest, public_id) -> HttpResponse:
    report = get_object_or_404(Report, public_id=public_id)
    try:
        created = services.report_follow(report=report, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if created:
            messages.success(request, _("Thank you. You follow this report now (me too)."))
        else:
            messages.info(request, _("You already follow this report."))
    return redirect(report)


@require_GET
def photo(request: HttpRequest, public_id) -> HttpResponse:
    row = ReportPhoto.objects.filter(public_id=public_id).values("public_name").first()
    if row is None:
        raise Http404
    response = HttpResponse(_photo_file(row["public_name"]), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=86400, immutable"
    return response


@login_required
@require_GET
def photo_original(request: HttpRequest, public_id) -> HttpResponse:
    """The original bytes, EXIF included: safety staff and auditors only."""
    if not request.user.has_perm("safety.view_reportphoto"):
        raise PermissionDenied
    row = get_object_or_404(ReportPhoto, public_id=public_id)
    response = HttpResponse(_photo_file(row.original_name), content_type=row.original_content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="{row.sha256[:16]}"'
    return response


def _photo_file(name: str) -> bytes:
    try:
        return photo_files.photo_file_read(name)
    except FileNotFoundError:
        # The row names a file the storage no longer has (restored without its files).
        raise Http404 from None
