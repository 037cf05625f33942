from django.urls import path

from . import views

app_name = "participants"

urlpatterns = [
    path("profile/new/", views.profile_create, name="profile_create"),
    path("profile/", views.profile, name="profile"),
    path("my-residents/", views.my_residents, name="my_residents"),
]
