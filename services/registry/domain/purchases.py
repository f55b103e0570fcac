"""Who a sale is recorded for: the person recording it, or the employee a till names."""

from __future__ import annotations

from services.registry.domain.errors import Unprocessable


def sale_employee(named: str | None, by_person: bool, recorder: str | None) -> str | None:
    """The sale's ``employee_id``: a person records their own sales (naming anyone else is
    refused); a machine client (a till) names the employee, or nobody."""
    if not by_person:
        return named
    if named not in (None, recorder):
        raise Unprocessable("employee_id: a person records their own sales; leave it out",
                            field="employee_id")
    return recorder
