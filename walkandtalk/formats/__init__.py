"""Date formats per language (issue 18), over Django's own (django/conf/locale/<lang>/formats.py).

Templates name a format (`{{ walk.starts_at|date:"DATE_FORMAT" }}`) rather than spell one, so each
language writes dates its own way ("3 March 2027", "3 de marzo de 2027", "3 marca 2027"). Only what
differs from Django's is here: British English keeps the scheme's long, unambiguous style, and Somali,
which Django has no formats for, gets day-month-year rather than the American default.
"""
