"""A person records their own sales; a till names the employee."""

import pytest

from services.registry.domain.errors import Unprocessable
from services.registry.domain.purchases import sale_employee


def test_a_person_records_their_own_sales() -> None:
    assert sale_employee(None, by_person=True, recorder="op-anna") == "op-anna"
    assert sale_employee("op-anna", by_person=True, recorder="op-anna") == "op-anna"


def test_a_person_may_not_record_a_sale_for_someone_else() -> None:
    with pytest.raises(Unprocessable) as refused:
        sale_employee("op-reza", by_person=True, recorder="op-anna")
    assert refused.value.detail["field"] == "employee_id"


def test_a_till_names_the_employee_or_nobody() -> None:
    assert sale_employee("op-reza", by_person=False, recorder=None) == "op-reza"
    assert sale_employee(None, by_person=False, recorder=None) is None
