"""Everyone who signs up through the public form is a resident."""

from allauth.account.signals import user_signed_up
from django.contrib.auth.models import Group
from django.dispatch import receiver

from .roles import RESIDENTS


@receiver(user_signed_up)
def make_resident(sender, request, user, **kwargs) -> None:
    user.groups.add(Group.objects.get(name=RESIDENTS))
