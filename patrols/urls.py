from django.urls import path

from . import views

app_name = "patrols"

urlpatterns = [
    path("walks/", views.my_walks, name="my_walks"),
]
