"""The app's URLs plus two baselines served by the same stack (bench/settings.py only)."""

from django.urls import path

from walkandtalk.urls import handler403, handler404, handler500
from walkandtalk.urls import urlpatterns as app_urlpatterns

from . import views

urlpatterns = [
    path("bench/bare", views.bare, name="bench_bare"),
    path("bench/signed-in", views.signed_in, name="bench_signed_in"),
    *app_urlpatterns,
]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
