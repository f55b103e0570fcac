"""Scoring's use cases: an event, an HTTP command or a query and the ports in; derived
events (or an answer) out.

Each reads load (``ScoringRepository``) -> decide (``domain``) -> save, inside the consume
path's transaction or a command's; ``current_config`` returns the scoring configuration in
force (see ``LiveConfig``).

- ``registration``: a new customer's fraud score.
- ``behaviour``: calls, purchases and profile changes move the segment and the score.
- ``scores``: a stored score, or its explanation, as a reader may see it.
- ``outcomes``: what really happened to a scored customer.
- ``privacy``: erasure and subject access.
"""
