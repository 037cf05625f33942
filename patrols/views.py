from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from participants.access import role_required
from participants.models import Resident
from participants.pairing import active_pairing
from participants.roles import RESIDENT


@role_required(RESIDENT)
@require_GET
def my_walks(request: HttpRequest) -> HttpResponse:
    """Resident: her landing page — her officer, how to check it is her, her walks."""
    resident = Resident.objects.select_related("ward__borough").filter(user=request.user).first()
    if resident is None:
        return redirect("participants:profile_create")
    context = {
        "resident": resident,
        "pairing": active_pairing(resident),
        "upcoming_walks": [],
        "past_walks": [],
    }
    return render(request, "patrols/my_walks.html", context)
