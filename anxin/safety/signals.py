"""Signals safety sends for other apps to listen to (safety imports none of them).

``hazard_closed(sender=Hazard, hazard=..., actor=...)``: sent on commit of 销号
(:func:`anxin.safety.hazards.hazard_close`); petitions notes it in a linked case's timeline.
"""

from django.dispatch import Signal

hazard_closed = Signal()
