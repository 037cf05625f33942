from django.urls import include, path, re_path

from .views import app, concerns, feedback, officer, partner, public, resident, walk

app_name = "patrols"

# The officer's phone app (issue 17): every page of hers under /app/, the scope of its manifest and of
# its service worker, so the worker never sees a resident's or the sergeant's page. The sergeant uses a
# walk's actions and the concern pages here too (the worker keeps only what the server marks as an
# officer's, patrols/offline.py). participants.urls puts the officer's notifications and residents here.
officer_app = [
    path("", app.app_scope, name="app_scope"),
    path("today/", officer.today, name="today"),
    # her page of a walk (the resident and the sergeant have /walks/<pk>/)
    path("walks/<int:pk>/", walk.officer_walk, name="officer_walk"),
    # running a walk: her officer (and the sergeant)
    path("walks/<int:pk>/start/", officer.walk_action, {"action": "start"}, name="walk_start"),
    path("walks/<int:pk>/finish/", officer.walk_finish, name="walk_finish"),  # asks first (GET), then POST
    path("walks/<int:pk>/no-show/", officer.walk_action, {"action": "no_show"}, name="walk_no_show"),
    path(
        "walks/<int:pk>/nothing-to-log/",
        officer.walk_action,
        {"action": "nothing_to_log"},
        name="walk_nothing_to_log",
    ),
    path("walks/<int:pk>/concerns/new/", concerns.concern_new, name="concern_new"),
    path("walks/<int:pk>/disclosures/new/", concerns.disclosure_new, name="disclosure_new"),
    path("concerns/", concerns.my_open_concerns, name="my_concerns"),
    path("concerns/area/", concerns.area_concerns, name="area_concerns"),
    path("concerns/<int:pk>/", concerns.concern_detail, name="concern_detail"),
    path("concerns/<int:pk>/pin/", concerns.concern_pin, name="concern_pin"),
    path("concerns/<int:pk>/refer/", concerns.concern_refer, name="concern_refer"),  # POST only
    path("schedule/", officer.schedule, name="schedule"),
    path("availability/", officer.availability_page, name="availability"),
    path("availability/windows/<int:pk>/delete/", officer.window_delete, name="window_delete"),
    path("availability/changes/<int:pk>/delete/", officer.exception_delete, name="exception_delete"),
    # the app itself: public, they hold no one's data
    path("app.webmanifest", app.manifest, name="app_manifest"),
    path("service-worker.js", app.service_worker, name="service_worker"),
    path("offline/", app.offline_page, name="app_offline"),
]

urlpatterns = [
    # resident
    path("walks/", resident.my_walks, name="my_walks"),
    path("walks/book/", resident.book, name="book"),
    path("walks/<int:pk>/move/", resident.move, name="walk_move"),
    # resident, the sergeant (her officer is sent to her own page of it, /app/walks/<pk>/)
    path("walks/<int:pk>/", walk.walk_detail, name="walk_detail"),
    # resident, her officer, the sergeant
    path("walks/<int:pk>/invite.ics", walk.walk_invite_ics, name="walk_invite"),
    path("walks/<int:pk>/cancel/", walk.walk_cancel, name="walk_cancel"),
    path("app/", include(officer_app)),
    # resident, after a walk (links in her messages)
    path("walks/<int:pk>/feedback/", feedback.walk_feedback, name="walk_feedback"),
    path("concerns/<int:pk>/fixed/", feedback.concern_fixed, name="concern_fixed"),
    # public: anyone, no sign-in ("You said, we did": aggregates only)
    path("you-said-we-did/", public.you_said_we_did, name="you_said_we_did"),
    path("you-said-we-did/<slug:borough>/", public.you_said_we_did_borough, name="you_said_we_did_borough"),
    path(
        "you-said-we-did/<slug:borough>/<int:ward>/", public.you_said_we_did_ward, name="you_said_we_did_ward"
    ),
    # partners: no account, a signed link per referral (patrols/referrals.py)
    path("partner/referral/<str:token>/", partner.partner_referral, name="partner_referral"),
    # Before /app/ (issue 17): the worker that phones registered at "/" now removes itself, and every
    # old officer URL is sent on to its new one (old emails, bookmarks, and actions still queued on a
    # phone with the old URL: a POST is sent on with its body, 308).
    path("service-worker.js", app.retired_service_worker, name="retired_service_worker"),
    re_path(app.MOVED_TO_APP, app.moved_to_app, name="moved_to_app"),
]
