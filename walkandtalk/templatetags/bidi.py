"""Right to left (issue 18, point 4): a name, a number or a code typed in Latin letters inside a
translated sentence is isolated, so it cannot take the sentence's punctuation with it.

In Arabic, "With PC Amara Nwosu (collar number 4101AS)." printed the officer's name, the bracket
and the collar number in the wrong order: the Unicode bidirectional algorithm runs the neutral
brackets and spaces next to the Latin words into their left-to-right run. `<bdi>` (HTML's
bidirectional isolate) keeps each value a unit of its own whatever the page's direction, so it is a
no-op on a left-to-right page and in every language. It is applied to the value, not written in the
msgids, so no translator has to keep it (and none can lose it).

    {% load bidi %}
    {% blocktranslate with name=officer.display_name|isolate %}With {{ name }}…{% endblocktranslate %}
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter(is_safe=True)
def isolate(value: object) -> SafeString:
    """`value`, escaped, as its own bidirectional unit, its direction taken from its first letter."""
    return format_html("<bdi>{}</bdi>", value)


@register.filter(is_safe=True)
def isolate_ltr(value: object) -> SafeString:
    """`value`, escaped, always left to right: a phone number's digit groups, a walk code."""
    return format_html('<bdi dir="ltr">{}</bdi>', value)
