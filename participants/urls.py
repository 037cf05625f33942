from django.urls import path

from . import views

app_name = "participants"

urlpatterns = [
    path("profile/new/", views.profile_create, name="profile_create"),
    path("profile/", views.profile, name="profile"),
    path("profile/data/", views.my_data, name="my_data"),
    path("profile/data.json", views.my_data_json, name="my_data_json"),
    path("profile/erase/", views.erase, name="erase"),
    # An officer's own pages, in her phone app (/app/, see patrols/urls.py): her residents, and her
    # notifications on this phone (Web Push), per device
    path("app/my-residents/", views.my_residents, name="my_residents"),
    path("app/notifications/", views.push_settings, name="push"),
    path("app/notifications/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("app/notifications/unsubscribe/", views.push_unsubscribe, name="push_unsubscribe"),
    path("app/notifications/devices/<int:pk>/remove/", views.push_device_remove, name="push_device_remove"),
]
