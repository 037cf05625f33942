from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from . import profiles
from .access import officer_of, resident_of, role_required
from .forms import ResidentProfileForm, ResidentSignupProfileForm
from .models import Resident
from .roles import OFFICER, RESIDENT


@role_required(RESIDENT)
@require_http_methods(["GET", "POST"])
def profile_create(request: HttpRequest) -> HttpResponse:
    """Resident without a profile: the short profile that completes sign-up and pairs her."""
    if Resident.objects.filter(user=request.user).exists():
        return redirect("participants:profile")
    form = ResidentSignupProfileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        details = {name: form.cleaned_data[name] for name in ResidentProfileForm.Meta.fields}
        resident, pairing = profiles.create_resident_profile(user=request.user, details=details)
        if pairing is not None:
            messages.success(
                request,
                f"You’re all set, {resident.preferred_name}. You will walk with "
                f"{pairing.officer.display_name} (collar number {pairing.officer.collar_number}).",
            )
        else:
            messages.info(
                request,
                "Thank you — you’re on the waiting list. "
                "We’ll email you the moment a walking partner is free.",
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
        messages.success(request, "Your details are saved.")
        return redirect("participants:profile")
    return render(request, "participants/profile_form.html", {"form": form, "creating": False})


@role_required(OFFICER)
@require_GET
def my_residents(request: HttpRequest) -> HttpResponse:
    """Officer: the residents paired with her now, and nobody else's."""
    officer = officer_of(request)
    residents = (
        Resident.objects.filter(pairings__officer=officer, pairings__ended_at__isnull=True)
        .select_related("ward__borough")
        .order_by("preferred_name", "pk")
    )
    return render(request, "participants/my_residents.html", {"officer": officer, "residents": residents})
