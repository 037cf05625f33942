"""The concerns CSV for partners: what and where, never who (PRODUCT.md: Partner).

The sergeant's dashboard (walkandtalk/dashboard.py) and the concern admin's export action both write it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from .models import LONDON

CSV_COLUMNS = [
    "category",
    "location",
    "latitude",
    "longitude",
    "ward",
    "borough",
    "severity",
    "when it matters",
    "status",
    "logged on",
    "resolved on",
    "action",
    "partner",
]


def concern_rows(concerns: QuerySet) -> Iterator[list]:
    """The partners' columns only: no resident, no officer notes about her, no disclosures."""
    for concern in concerns.iterator(chunk_size=2000):
        yield [
            concern.category.name,
            concern.location_text,
            concern.latitude if concern.latitude is not None else "",
            concern.longitude if concern.longitude is not None else "",
            concern.ward.name,
            concern.ward.borough.name,
            concern.get_severity_display(),
            concern.get_when_it_matters_display(),
            concern.get_status_display(),
            timezone.localtime(concern.created_at, LONDON).date().isoformat(),
            timezone.localtime(concern.resolved_at, LONDON).date().isoformat() if concern.resolved_at else "",
            concern.action,
            concern.partner.name if concern.partner_id else "",
        ]


class _Echo:
    def write(self, value):
        return value


def csv_response(concerns: QuerySet, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for row in concern_rows(concerns):
            yield writer.writerow([_safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _safe_cell(value) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
