from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("", include("participants.urls")),
    path("", include("patrols.urls")),
    path("open311/v2/", include("patrols.open311_urls")),
    path("admin/", admin.site.urls),
]

handler403 = "walkandtalk.errors.permission_denied"
handler404 = "walkandtalk.errors.page_not_found"
handler500 = "walkandtalk.errors.server_error"
