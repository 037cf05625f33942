"""The sergeant's GeoJSON export of concerns, for partners' maps (issue 15, point 7).

Sergeants only: wrapped by the admin site's ``admin_view`` (walkandtalk/admin.py). Filtered as the
dashboard and its CSV are (period, borough, ward). One Point feature per pinned concern (a concern with
only a street name has no point to draw), with what partners may know and nothing else: no resident, no
officer, no words of hers, no free text at all (the action and the street are typed by people and can
name someone), never a disclosure. Written to the audit log as an export, like the CSV.
"""

from __future__ import annotations

from collections.abc import Iterator

import geojson
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from participants.audit import record_event
from participants.models import AuditEvent
from patrols.models import LONDON, Concern

from .dashboard import DashboardFilterForm, scoped_concerns


def feature(concern: Concern) -> geojson.Feature:
    return geojson.Feature(
        id=concern.pk,
        geometry=geojson.Point((float(concern.longitude), float(concern.latitude))),
        properties={
            "category": concern.category.name,
            "category_code": concern.category.code,
            "severity": concern.severity,
            "when_it_matters": concern.when_it_matters,
            "status": concern.status,
            "ward": concern.ward.name,
            "borough": concern.ward.borough.name,
            "logged_on": timezone.localtime(concern.created_at, LONDON).date().isoformat(),
            "resolved_on": (
                timezone.localtime(concern.resolved_at, LONDON).date().isoformat()
                if concern.resolved_at
                else None
            ),
            "partner": concern.partner.name if concern.partner_id else None,
        },
    )


def feature_collection(concerns) -> Iterator[str]:
    """A FeatureCollection, written a feature at a time (a period of all London is many thousands)."""
    yield '{"type": "FeatureCollection", "features": ['
    for index, concern in enumerate(concerns.iterator(chunk_size=2000)):
        yield ("," if index else "") + geojson.dumps(feature(concern), sort_keys=True)
    yield "]}"


def concerns_geojson(request: HttpRequest) -> StreamingHttpResponse:
    """Sergeants: pinned concerns as a GeoJSON FeatureCollection, filtered as the dashboard is."""
    scope = DashboardFilterForm(request.GET or None).scope()
    area = scope.ward.name if scope.ward else scope.borough.name if scope.borough else "all"
    filename = f"concerns-{area}-{scope.first_day}-{scope.last_day}.geojson"
    filename = filename.replace(" ", "-").replace("&", "and").replace("'", "")
    record_event(
        actor=request.user,
        action=AuditEvent.Action.EXPORTED,
        object_type="patrols.concern",
        request=request,
        detail=f"concerns GeoJSON for partners: {filename}",
    )
    concerns = scoped_concerns(scope).filter(latitude__isnull=False, longitude__isnull=False)
    response = StreamingHttpResponse(feature_collection(concerns), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
