"""Rendering a message from its row and its kind: subject, plain text, HTML, SMS text, attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from .kinds import Attachment, MessageKind
from .models import Notification
from .sms import SMS_MAX_LENGTH


@dataclass
class Message:
    subject: str
    text: str
    html: str
    sms: str
    attachments: list[Attachment] = field(default_factory=list)
    push: object = None  # push.PushContent, for the push channel only


def _plain(name: str, context: dict) -> str:
    """A plain-text template, without HTML escaping (an apostrophe stays an apostrophe)."""
    return get_template(name).template.render(Context(context, autoescape=False))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def single_sms(text: str) -> str:
    """Never split into several texts: cut the words, keep the link (always the last word)."""
    if len(text) < SMS_MAX_LENGTH:
        return text
    words = text.split(" ")
    link = words[-1]
    return " ".join(words[:-1])[: SMS_MAX_LENGTH - len(link) - 5].rstrip() + "... " + link


def compose(kind: MessageKind) -> Message:
    """Everything in the recipient's language (`kind.language()`): the templates, the dates and times
    in the context, the attachments' text (an invite's summary)."""
    with translation.override(kind.language() or settings.LANGUAGE_CODE):
        return _compose(kind)


def _compose(kind: MessageKind) -> Message:
    context = kind.context()
    if kind.notification.channel == Notification.Channel.PUSH:
        content = kind.push_content(context)
        return Message(subject=content.title, text=content.body, html="", sms="", push=content)
    names = kind.template_names()
    subject = _one_line(_plain(names["subject"], context))
    text = re.sub(r"\n{3,}", "\n\n", _plain(names["text"], context).strip()) + "\n"
    html = render_to_string(names["html"], context)
    sms = single_sms(_one_line(_plain(names["sms"], context)))
    return Message(subject=subject, text=text, html=html, sms=sms, attachments=kind.attachments(context))
