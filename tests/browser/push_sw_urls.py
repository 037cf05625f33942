"""The project's URLs plus a test-only service worker at the root, for tests/browser/test_push.py.

The product's service worker (the installable app's, issue 17 point 1) imports static/js/sw-push.js;
this branch's tests stand in a minimal one that does only that, so the push page has a registration
covering it. It is never part of the product: only this test's ROOT_URLCONF serves it.
"""

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import path

from walkandtalk.urls import handler403, handler404, handler500  # noqa: F401
from walkandtalk.urls import urlpatterns as project_urlpatterns

SERVICE_WORKER = f"""
importScripts("{static("js/sw-push.js")}");
self.addEventListener("install", function () {{ self.skipWaiting(); }});
self.addEventListener("activate", function (event) {{ event.waitUntil(self.clients.claim()); }});
"""


def test_service_worker(request: HttpRequest) -> HttpResponse:
    return HttpResponse(SERVICE_WORKER, content_type="text/javascript")


urlpatterns = [path("push-test-sw.js", test_service_worker), *project_urlpatterns]
