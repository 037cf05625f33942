"""The client's address: one answer for the rate limits, the sign-in log, the audit log and the sessions
list (issue 14 point 4).

Behind the TLS proxy README asks for, REMOTE_ADDR is the proxy's own address: every resident and every
officer would share it, and so share one rate limit. The proxy passes the client's address on, and the
deployment says how far to trust it, in allauth's own settings (read from the environment in settings.py):

- ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER`` — a header the proxy sets to the client's address
  (``X-Real-IP``); when set, it is the only one read.
- ``ALLAUTH_TRUSTED_PROXY_COUNT`` — how many proxies of ours append to ``X-Forwarded-For``: the
  address that many entries from the right is the client's (anything to its left the client could
  have written itself).

With neither set (the default), or when the header holds no valid address, REMOTE_ADDR is used: a
request that did not come through the proxy is counted against whoever sent it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port


def _address(value: str | None) -> str | None:
    """`value` as a normalised IP address (a port or IPv6 brackets removed), or None if it is not one."""
    value = (value or "").strip()
    if not value:
        return None
    host, port = split_domain_port(value)
    if host and port:
        value = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of the person making `request`, as the trusted proxy reports it; None without one."""
    if request is None:
        return None
    forwarded = None
    header = getattr(settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None)
    proxies = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    if header:
        forwarded = request.headers.get(header)
    elif proxies > 0 and request.headers.get("X-Forwarded-For"):
        hops = request.headers["X-Forwarded-For"].split(",")
        # Fewer entries than trusted proxies: the leftmost is still one a proxy of ours wrote.
        forwarded = hops[-proxies] if len(hops) >= proxies else hops[0]
    return _address(forwarded) or _address(request.META.get("REMOTE_ADDR"))
