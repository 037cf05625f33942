from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from participants.roles import OFFICER, RESIDENT, SERGEANT, role_of

from .health import run_checks
from .tasks import HEARTBEAT_KEY

LANDING_PAGES = {
    RESIDENT: "patrols:my_walks",
    OFFICER: "patrols:today",
    SERGEANT: "admin:index",
}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Public: explains the scheme in plain words and leads to sign-up.

    Signed-in people are taken to their own landing page instead.
    """
    landing = LANDING_PAGES.get(role_of(request.user))
    if landing:
        return redirect(landing)
    return render(request, "home.html")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """Public: the privacy notice a resident agrees to at sign-up."""
    context = {
        "retention_months": settings.RESIDENT_RETENTION_MONTHS,
        "notice_days": settings.RESIDENT_RETENTION_NOTICE_DAYS,
        "disclosures_kept": settings.DISCLOSURE_RETENTION_ON_ERASURE == "keep",
    }
    return render(request, "privacy.html", context)


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """Public: the accessibility statement (GOV.UK's model), linked from every page's footer."""
    context = {"site_url": settings.SITE_URL, "staff_session_hours": settings.STAFF_SESSION_HOURS}
    return render(request, "accessibility.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Public, for load balancers and container health checks: 200 when all is reachable, else 503."""
    results = run_checks()
    healthy = all(value == "ok" for value in results.values())
    body = {"status": "ok" if healthy else "unhealthy", **results}
    if not healthy:
        body["failing"] = [name for name, value in results.items() if value != "ok"]
    try:
        body["worker_heartbeat"] = cache.get(HEARTBEAT_KEY)
    except Exception:  # noqa: BLE001 — the cache is informative here, not a check
        body["worker_heartbeat"] = None
    return JsonResponse(body, status=200 if healthy else 503)
