from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog

from . import languages, views

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("language/", languages.set_language, name="set_language"),
    # the strings of our scripts in the page's language (cached per language: cache_page keys on it)
    path("jsi18n/", cache_page(24 * 60 * 60)(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("accounts/", include("allauth.urls")),
    path("", include("participants.urls")),
    path("", include("patrols.urls")),
    path("open311/v2/", include("patrols.open311_urls")),
    path("admin/", admin.site.urls),
]

handler403 = "walkandtalk.errors.permission_denied"
handler404 = "walkandtalk.errors.page_not_found"
handler500 = "walkandtalk.errors.server_error"
