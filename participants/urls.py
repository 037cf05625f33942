from django.urls import path

from . import views

app_name = "participants"

urlpatterns = [
    path("profile/new/", views.profile_create, name="profile_create"),
    path("profile/", views.profile, name="profile"),
    path("profile/data/", views.my_data, name="my_data"),
    path("profile/data.json", views.my_data_json, name="my_data_json"),
    path("profile/erase/", views.erase, name="erase"),
    path("my-residents/", views.my_residents, name="my_residents"),
    # An officer's notifications on this phone (Web Push), per device
    path("notifications/", views.push_settings, name="push"),
    path("notifications/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("notifications/unsubscribe/", views.push_unsubscribe, name="push_unsubscribe"),
    path("notifications/devices/<int:pk>/remove/", views.push_device_remove, name="push_device_remove"),
]
