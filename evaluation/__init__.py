"""Tools for analysts, not part of any service: measuring scoring's rules on labelled
synthetic populations (``python -m evaluation.scoring``, ``make eval-scoring``) and on
recorded outcomes, and proposing re-fitted weights. They may use dev-only dependencies
(faker); nothing under ``services/`` imports them.
"""
