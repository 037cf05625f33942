from django.urls import path

from .views import officer, resident, walk

app_name = "patrols"

urlpatterns = [
    # resident
    path("walks/", resident.my_walks, name="my_walks"),
    path("walks/book/", resident.book, name="book"),
    path("walks/<int:pk>/move/", resident.move, name="walk_move"),
    # resident, her officer, the sergeant
    path("walks/<int:pk>/", walk.walk_detail, name="walk_detail"),
    path("walks/<int:pk>/invite.ics", walk.walk_invite_ics, name="walk_invite"),
    path("walks/<int:pk>/cancel/", walk.walk_cancel, name="walk_cancel"),
    # officer
    path("schedule/", officer.schedule, name="schedule"),
    path("availability/", officer.availability_page, name="availability"),
    path("availability/windows/<int:pk>/delete/", officer.window_delete, name="window_delete"),
    path("availability/changes/<int:pk>/delete/", officer.exception_delete, name="exception_delete"),
]
