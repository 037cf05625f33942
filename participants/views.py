import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from walkandtalk.outbox import push
from walkandtalk.outbox.models import PushSubscription

from . import languages, privacy, profiles
from .access import officer_of, resident_of, role_required
from .audit import record_event, record_views
from .forms import EraseAccountForm, ResidentProfileForm, ResidentSignupProfileForm
from .models import AuditEvent, Resident
from .roles import OFFICER, RESIDENT


@role_required(RESIDENT)
@require_http_methods(["GET", "POST"])
def profile_create(request: HttpRequest) -> HttpResponse:
    """Resident without a profile: the short profile that completes sign-up and pairs her."""
    if Resident.objects.filter(user=request.user).exists():
        return redirect("participants:profile")
    # Her language starts as the one she is reading the site in (the switcher, before she signed up):
    # otherwise the profile's default, English, would turn her Arabic pages English once she joins.
    form = ResidentSignupProfileForm(
        request.POST or None, initial={"language": languages.profile_code(request.LANGUAGE_CODE)}
    )
    if request.method == "POST" and form.is_valid():
        details = {name: form.cleaned_data[name] for name in ResidentProfileForm.Meta.fields}
        resident, pairing = profiles.create_resident_profile(user=request.user, details=details)
        if pairing is not None:
            messages.success(
                request,
                _(
                    "You’re all set, %(name)s. You will walk with %(officer)s "
                    "(collar number %(collar_number)s)."
                )
                % {
                    "name": resident.preferred_name,
                    # her officer's name and number read in their own direction on an Arabic page
                    "officer": languages.isolate(pairing.officer.display_name),
                    "collar_number": languages.isolate(pairing.officer.collar_number),
                },
            )
        else:
            messages.info(
                request,
                _(
                    "Thank you — you’re on the waiting list. "
                    "We’ll email you the moment a walking partner is free."
                ),
            )
        return redirect("patrols:my_walks")
    return render(request, "participants/profile_form.html", {"form": form, "creating": True})


@role_required(RESIDENT)
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Resident: see and change everything she entered."""
    resident = resident_of(request)
    form = ResidentProfileForm(request.POST or None, instance=resident)
    if request.method == "POST" and form.is_valid():
        profiles.update_resident_profile(resident=resident, details=form.cleaned_data)
        messages.success(request, _("Your details are saved."))
        return redirect("participants:profile")
    return render(request, "participants/profile_form.html", {"form": form, "creating": False})


@role_required(OFFICER)
@require_GET
def my_residents(request: HttpRequest) -> HttpResponse:
    """Officer: the residents paired with her now, and nobody else's."""
    officer = officer_of(request)
    residents = list(
        Resident.objects.filter(pairings__officer=officer, pairings__ended_at__isnull=True)
        .select_related("ward__borough")
        .order_by("preferred_name", "pk")
    )
    record_views(request=request, objects=residents, detail="my residents")
    return render(request, "participants/my_residents.html", {"officer": officer, "residents": residents})


@role_required(RESIDENT)
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """Resident: everything we hold about her, readable, with the download and erase links."""
    resident = resident_of(request)
    data = privacy.export_resident_data(resident)
    record_event(actor=request.user, action=AuditEvent.Action.EXPORTED, obj=resident, detail="her own data")
    return render(request, "participants/my_data.html", {"data": data, "resident": resident})


@role_required(RESIDENT)
@require_GET
def my_data_json(request: HttpRequest) -> HttpResponse:
    """Resident: the same, as a JSON file to keep (UK GDPR: right of access and data portability)."""
    resident = resident_of(request)
    data = privacy.export_resident_data(resident)
    record_event(
        actor=request.user, action=AuditEvent.Action.EXPORTED, obj=resident, detail="her own data (JSON)"
    )
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    filename = f"my-walk-and-talk-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required(RESIDENT)
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    """Resident: erase her account after reading what happens and typing the confirmation."""
    resident = resident_of(request)
    form = EraseAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.erase_resident(resident=resident, by=request.user)
        except privacy.PrivacyError as error:
            form.add_error(None, str(error))
        else:
            logout(request)
            messages.success(
                request,
                _("Your account is erased and you are signed out. Thank you for walking with us."),
            )
            return redirect("home")
    context = {
        "form": form,
        "resident": resident,
        "upcoming_walks": resident.walks.upcoming().count(),
        "disclosures_kept": settings.DISCLOSURE_RETENTION_ON_ERASURE == "keep",
    }
    return render(request, "participants/erase.html", context)


# --- Notifications on this phone (Web Push): an officer's own devices ----------------------------

# A browser's subscription is a few hundred bytes; anything much bigger is not one.
PUSH_BODY_MAX_BYTES = 4096


@role_required(OFFICER)
@require_GET
def push_settings(request: HttpRequest) -> HttpResponse:
    """Officer: turn notifications on or off on this phone, and see (and remove) her other devices."""
    devices = list(PushSubscription.objects.filter(user=request.user))
    session_key, cookie_device = request.session.session_key, push.device_of(request)
    return render(
        request,
        "participants/push.html",
        {
            "devices": devices,
            "this_device": next(
                (d for d in devices if d.session_key == session_key or d.pk == cookie_device), None
            ),
            "push_enabled": settings.PUSH_ENABLED,
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        },
    )


def _json_body(request: HttpRequest) -> object:
    # A form post has been read as a form already (by the CSRF check): it is not a subscription.
    if request.content_type != "application/json":
        raise push.SubscriptionError("The browser sent something that is not a subscription.")
    if len(request.body) > PUSH_BODY_MAX_BYTES:
        raise push.SubscriptionError("That is too much for a subscription.")
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise push.SubscriptionError("The browser sent something that is not a subscription.") from None


@role_required(OFFICER)
@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """This phone's browser sends its push subscription (JSON, from push-subscribe.js)."""
    if not settings.PUSH_ENABLED:
        return JsonResponse({"error": "Notifications are switched off for the scheme."}, status=400)
    try:
        device = push.subscribe(
            user=request.user,
            session_key=request.session.session_key or "",
            subscription=_json_body(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except push.SubscriptionError as error:
        return JsonResponse({"error": str(error)}, status=400)
    response = JsonResponse({"device": device.label or "This device"})
    push.remember_device(response, device)
    return response


@role_required(OFFICER)
@require_POST
def push_unsubscribe(request: HttpRequest) -> HttpResponse:
    """This phone turns notifications off: its endpoint (JSON), or else this session's subscription."""
    endpoint = ""
    if request.content_type == "application/json":
        try:
            body = _json_body(request)
        except push.SubscriptionError as error:
            return JsonResponse({"error": str(error)}, status=400)
        endpoint = body.get("endpoint", "") if isinstance(body, dict) else ""
        if not isinstance(endpoint, str):
            return JsonResponse({"error": "The browser sent no push address."}, status=400)
    removed = push.unsubscribe(
        user=request.user, endpoint=endpoint, session_key=request.session.session_key or ""
    )
    if request.content_type == "application/json":
        response = JsonResponse({"removed": removed})
    else:
        messages.success(request, "Notifications are off on this phone.")
        response = redirect("participants:push")
    push.forget_device(response)
    return response


@role_required(OFFICER)
@require_POST
def push_device_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """She removes one of her devices (a phone she no longer has). Someone else's: 404."""
    if not push.remove(user=request.user, pk=pk):
        raise Http404("No such device of yours")
    messages.success(request, "That device will get no more notifications.")
    return redirect("participants:push")
