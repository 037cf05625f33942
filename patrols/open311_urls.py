"""Open311 GeoReport v2 (read-only), under /open311/v2/ (walkandtalk/urls.py). JSON only."""

from django.urls import path

from .views import open311

app_name = "open311"

urlpatterns = [
    path("services.json", open311.services, name="services"),
    path("requests.json", open311.requests_list, name="requests"),
    path("requests/<str:pk>.json", open311.request_detail, name="request"),
]
