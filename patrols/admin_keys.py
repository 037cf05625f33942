"""The sergeant's admin for partners' Open311 API keys (issue 15, points 7 and 9). Sergeants only, as
the whole admin is.

- Adding a key asks only for the partner and what it is for; the key is made by patrols/apikeys.py and
  shown once, on the page that answers the form, in a message that is used up by that page: it is not
  kept in a cookie or the session to be shown later (where Django's messages usually wait), and the page
  is not cached.
- The list shows each key's first characters, when it was made and last used, and whether it is
  revoked. Nothing edits a key: its hash is never shown or changed; a key is revoked (with Django's
  confirmation page), not deleted, so the list and the audit log keep it.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from participants.admin_base import SergeantModelAdmin

from . import apikeys
from .models import PartnerApiKey


class RevokedFilter(admin.SimpleListFilter):
    title = "revoked"
    parameter_name = "revoked"

    def lookups(self, request, model_admin):
        return [("no", "Live"), ("yes", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(SergeantModelAdmin):
    """A partner's key to its own referrals as Open311 open data."""

    list_display = ["partner", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [RevokedFilter, "partner"]
    list_select_related = ["partner"]
    search_fields = ["name", "prefix", "partner__name"]
    readonly_fields = ["partner", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    fields = readonly_fields  # key_hash is never on a page
    actions = ["revoke_keys"]

    def get_fields(self, request, obj=None):
        return ["partner", "name"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # The list and each key's page are for reading; the action revokes. Nothing edits a key.
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row stays for the list and the audit log

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing edits a key (and no form offers it)
        key, plaintext = apikeys.issue_key(partner=obj.partner, name=obj.name, by=request.user)
        # The admin goes on with `obj` (its log entry, the response): make it the row just saved.
        obj.__dict__.update({f.attname: getattr(key, f.attname) for f in key._meta.concrete_fields})
        obj._state.adding, obj._state.db = False, key._state.db
        request._issued_key = plaintext

    def response_add(self, request, obj, post_url_continue=None):
        plaintext = getattr(request, "_issued_key", None)
        if plaintext is None:
            return super().response_add(request, obj, post_url_continue)
        # Shown here, on this response only: the message is used up as this page renders it.
        self.message_user(
            request,
            f"The key for {obj.partner}: {plaintext} — Copy it now: it is not shown again.",
            messages.SUCCESS,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "API key made",
            "key": obj,
            "plaintext": plaintext,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/patrols/partnerapikey/issued.html", context)
        response["Cache-Control"] = "no-store, private"
        return response

    @admin.action(description="Revoke selected keys")
    def revoke_keys(self, request, queryset):
        queryset = queryset.select_related("partner")
        if request.POST.get("post") == "yes":
            revoked = sum(apikeys.revoke(key=key, by=request.user) for key in queryset)
            self.message_user(
                request,
                f"Revoked {revoked} key(s): they no longer open any data." if revoked else "Already revoked.",
                messages.SUCCESS if revoked else messages.WARNING,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Revoke API keys?",
            "keys": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/patrols/partnerapikey/revoke_confirmation.html", context)
