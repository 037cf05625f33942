"""A resident's answers after a walk: how safe she feels now, and "is it fixed?" for a resolved concern.

Both are reached from links in her messages. Each page shows only her own things (404 otherwise).
The two small forms live here: they belong to these pages only.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods

from participants.access import role_required
from participants.inputs import StatedLimitsMixin
from participants.roles import RESIDENT

from .. import feedback
from ..models import Concern, SafetyRating, Walk

SAFETY_CHOICES = [
    (1, gettext_lazy("1 — very unsafe")),
    (2, gettext_lazy("2 — unsafe")),
    (3, gettext_lazy("3 — neither safe nor unsafe")),
    (4, gettext_lazy("4 — safe")),
    (5, gettext_lazy("5 — very safe")),
]


class SafetyRatingForm(StatedLimitsMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("How safe do you feel walking in your area now?"),
        choices=SAFETY_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose how safe you feel, from 1 to 5.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything else you’d like to tell us (optional)"),
        required=False,
        max_length=SafetyRating._meta.get_field("comment").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NotFixedForm(StatedLimitsMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What is still wrong? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@role_required(RESIDENT)
@require_http_methods(["GET", "POST"])
def walk_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Resident: how safe she feels after her own completed walk."""
    walks = Walk.objects.visible_to(request.user).filter(status=Walk.Status.COMPLETED)
    walk = get_object_or_404(walks.select_related("officer", "resident"), pk=pk)
    existing = SafetyRating.objects.filter(walk=walk).first()
    initial = {"rating": existing.rating, "comment": existing.comment} if existing else None
    form = SafetyRatingForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _, created = feedback.rate_walk(
                walk=walk, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
        except feedback.FeedbackError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext("Thank you for telling us how you feel.")
                if created
                else gettext("Thank you — you had already told us; we have updated your answer."),
            )
            return redirect("patrols:my_walks")
    return render(request, "patrols/walk_feedback.html", {"walk": walk, "form": form, "existing": existing})


@role_required(RESIDENT)
@require_http_methods(["GET", "POST"])
def concern_fixed(request: HttpRequest, pk: int) -> HttpResponse:
    """Resident: is a place from her own walk really fixed? If she says not, it opens again."""
    concerns = Concern.objects.visible_to(request.user).select_related("category", "walk")
    concern = get_object_or_404(concerns, pk=pk)
    form = NotFixedForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reopened = feedback.say_not_fixed(
                concern=concern, by=request.user, note=form.cleaned_data["note"]
            )
        except feedback.FeedbackError as error:
            messages.success(request, str(error))
        else:
            if reopened.status == Concern.Status.REFERRED and reopened.partner_id:
                # Back with the partner who fixed it: say who has been told.
                text = gettext("Thank you. %(partner)s and your officer have been told it is not fixed.") % {
                    "partner": reopened.partner.name
                }
            else:
                text = gettext("Thank you. The officer will look at this place again.")
            messages.success(request, text)
        return redirect("patrols:my_walks")
    return render(request, "patrols/concern_fixed.html", {"concern": concern, "form": form})
