"""Open311 GeoReport v2 (read-only) for partners' own systems: /open311/v2/ (issue 15, point 7).

Who may see what:
- services.json (the concern categories): anyone — they are the public StreetSafe categories. A key
  that is given must still be a live one (a partner's system learns at once that its key was revoked).
- requests.json and requests/<id>.json: a partner's API key only, and only that partner's referrals;
  another partner's id is "not found", exactly as an id that does not exist.

The key comes as the `api_key` parameter, an `X-Api-Key` header, or HTTP Basic with the key as the user
name (what clients that read a netrc file send). Errors are GeoReport's error JSON. GET only: nothing
here changes anything, so there is no form to forge (CSRF) and any other method is 405.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .. import apikeys, open311
from ..models import PartnerApiKey

JSON = "application/json; charset=utf-8"


def respond(data, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False), content_type=JSON, status=status)
    # A partner's referrals are for that partner: no browser or proxy keeps a copy.
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def error(code: int, description: str) -> HttpResponse:
    response = respond(open311.Open311Error(description, code).as_json(), status=code)
    if code == 401:
        response["WWW-Authenticate"] = 'Basic realm="Walk and Talk Open311", charset="UTF-8"'
    return response


def read_only(view: Callable) -> Callable:
    """GET (and HEAD) only, answering anything else with GeoReport's error JSON and 405. Exempt from
    the CSRF check, which would otherwise answer a POST 403 before we can say 405: these views change
    nothing, whatever the method."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = error(405, "This is read-only open data: use GET.")
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)


def presented_key(request: HttpRequest) -> str | None:
    """The key the request carries: `api_key`, then `X-Api-Key`, then HTTP Basic's user name."""
    if key := request.GET.get("api_key", "").strip():
        return key
    if key := request.headers.get("X-Api-Key", "").strip():
        return key
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "\x00not-a-key"  # malformed: refused as a wrong key, not as a missing one
        return decoded.partition(":")[0].strip() or None
    return None


def partner_key(request: HttpRequest, *, required: bool) -> PartnerApiKey | HttpResponse | None:
    """The live key of the request, or the refusal to send: 401 with none, 403 for a wrong or revoked one."""
    plaintext = presented_key(request)
    if plaintext is None:
        if required:
            return error(401, "An API key is needed: send it as api_key, an X-Api-Key header or HTTP Basic.")
        return None
    key = apikeys.verify(plaintext)
    if key is None:
        return error(
            403, "This API key is not valid, or has been revoked. Ask the police team for a new one."
        )
    return key


@read_only
def services(request: HttpRequest) -> HttpResponse:
    """Anyone (a key, if given, must be live): the concern categories as GeoReport services."""
    key = partner_key(request, required=False)
    if isinstance(key, HttpResponse):
        return key
    return respond(open311.services())


@read_only
def requests_list(request: HttpRequest) -> HttpResponse:
    """A partner's key: its own referrals, filtered and paginated (newest first)."""
    key = partner_key(request, required=True)
    if isinstance(key, HttpResponse):
        return key
    try:
        query = open311.parse_query(request.GET)
    except open311.Open311Error as refused:
        return error(refused.code, refused.description)
    total, page = open311.requests(key.partner, query)
    response = respond([open311.service_request(row) for row in page])
    response["X-Total-Count"] = str(total)
    if links := page_links(request, query, total):
        response["Link"] = links
    return response


def page_links(request: HttpRequest, query: open311.Query, total: int) -> str:
    """RFC 8288 links to the next and previous pages, with the same filters (the key is not echoed)."""
    params = [(name, value) for name, value in request.GET.items() if name not in ("api_key", "page")]
    last = max(1, -(-total // query.page_size))

    def url(page: int) -> str:
        return request.build_absolute_uri(request.path) + "?" + urlencode([*params, ("page", page)])

    links = []
    if query.page < last:
        links.append(f'<{url(query.page + 1)}>; rel="next"')
    if 1 < query.page <= last + 1:
        links.append(f'<{url(min(query.page - 1, last))}>; rel="prev"')
    if links:
        links += [f'<{url(1)}>; rel="first"', f'<{url(last)}>; rel="last"']
    return ", ".join(links)


@read_only
def request_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """A partner's key: one of its own referrals. Anyone else's, or none, is 404 alike."""
    key = partner_key(request, required=True)
    if isinstance(key, HttpResponse):
        return key
    service_request_id, referral = pk, None  # (named pk, as every id in our URLs is)
    if service_request_id.isdecimal() and len(service_request_id) <= 12:
        referral = open311.request_for(key.partner, int(service_request_id))
    if referral is None:
        return error(404, f"No service request {service_request_id[:40]} for {key.partner.name}.")
    return respond([open311.service_request(referral)])
