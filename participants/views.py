import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

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
                    "officer": pairing.officer.display_name,
                    "collar_number": pairing.officer.collar_number,
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
