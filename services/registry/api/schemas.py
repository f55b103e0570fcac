"""Registry's HTTP request bodies: strict models, so a typo is a 422 and not a lost field.

``entered_by`` and ``operator_id`` are not here on purpose: they come from the token. The
rules a field obeys live in ``domain`` (``domain.values``, ``domain.operators``,
``shared.phones``, ``shared.currencies``); these models only call them.
``Category``, ``Source`` (also the stored models) and ``CallEvent`` (also the domain's
input) are request bodies too, and stay in ``domain``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.registry.domain.categories import (
    CategoryAdvice,
    CategoryTitles,
    Colour,
    DiscountPercent,
)
from services.registry.domain.changes import customer_updated
from services.registry.domain.notes import MAX_NOTE_LENGTH, note_text
from services.registry.domain.operators import (
    Extension,
    Languages,
    Login,
    OperatorProfile,
    password_problem,
)
from services.registry.domain.patches import require_a_change
from services.registry.domain.sources import MAX_SYNONYMS, SourceTitles
from services.registry.domain.values import (
    Email,
    IpAddress,
    PersonName,
    purchase_amount,
    refund_is_negative,
)
from shared.contracts.events import (
    CustomerRegistered,
    CustomerUpdated,
    InteractionLogged,
    PurchaseRecorded,
)
from shared.contracts.types import (
    Channel,
    CountryCode,
    Identifier,
    Language,
    LongText,
    LoyaltyCardNumber,
    Money,
    Outcome,
    PersonType,
    Slug,
    StaffRole,
    Text,
    ThankYouReason,
)
from shared.currencies import NotACurrency, UnvaluedCurrency, default_table
from shared.phones import normalize_phone

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegistrationRequest(BaseModel):
    """``POST /api/customers``: a new caller, as the operator typed them in."""

    model_config = _STRICT

    full_name: PersonName = Field(examples=["Anna Petrova"])
    # country comes before phone: the phone validator reads it as the default region.
    country: CountryCode = Field(description="The registration country, ISO 3166-1 alpha-2.")
    phone: str = Field(
        max_length=40,
        description="Any common notation; stored as E.164 read with the registration country.",
        examples=["8 900 123-45-67"],
    )
    email: Email | None = None
    person_type: PersonType = "individual"
    category: Slug = "ordinary"
    source: Text | None = Field(
        default=None, examples=["friend"],
        description="How they found us: a slug, title or synonym from GET /api/sources "
                    "(any language, any case); stored as the slug.")
    referred_by: Identifier | None = Field(default=None, description="customer_id of the referrer")
    card_number: LoyaltyCardNumber | None = Field(
        default=None, description="Loyalty card number; a payment card number is refused")
    language: Language | None = None
    ip: IpAddress | None = None
    card_holder_name: PersonName | None = None

    @field_validator("phone")
    @classmethod
    def _phone_to_e164(cls, value: str, info: ValidationInfo) -> str:
        # Without a valid country, numbers starting with + or 00 are still read.
        return normalize_phone(value, info.data.get("country"))

    def to_event(
        self,
        customer_id: str,
        entered_by: Literal["operator", "self"],
        operator_id: str | None = None,
    ) -> CustomerRegistered:
        """The ``crm.customer.registered.v1`` event for this registration."""
        return CustomerRegistered(
            customer_id=customer_id,
            entered_by=entered_by,
            operator_id=operator_id,
            **self.model_dump(),
        )


class CustomerPatch(BaseModel):
    """``PATCH /api/customers/{id}``: only the fields sent change; null clears an optional one."""

    model_config = _STRICT

    category: Slug | None = None
    person_type: PersonType | None = None
    full_name: PersonName | None = None
    email: Email | None = None
    source: Text | None = None
    card_number: LoyaltyCardNumber | None = None
    language: Language | None = None

    @model_validator(mode="before")
    @classmethod
    def _something_changes(cls, data: Any) -> Any:
        return require_a_change(data, ("category", "person_type", "full_name"))

    def changes(self) -> dict[str, Any]:
        """The fields the operator sent, with their new values."""
        return self.model_dump(exclude_unset=True)

    def to_event(self, customer_id: str) -> CustomerUpdated:
        """The ``crm.customer.updated.v1`` event; ``changed`` names every field sent."""
        return customer_updated(customer_id, self.changes())


class InteractionRequest(BaseModel):
    """``POST /api/interactions``: a call, chat, email or SMS with a customer."""

    model_config = _STRICT

    customer_id: Identifier
    channel: Channel = "call"
    duration_s: int | None = Field(default=None, ge=0, le=86_400)
    questions: int | None = Field(default=None, ge=0, le=1000)
    outcome: Outcome

    def to_event(self, interaction_id: str, operator_id: str | None = None) -> InteractionLogged:
        """The ``crm.interaction.logged.v1`` event for this interaction."""
        return InteractionLogged(
            interaction_id=interaction_id, operator_id=operator_id, **self.model_dump()
        )


class PurchaseRequest(BaseModel):
    """``POST /api/purchases``: a sale, or a refund when ``amount`` is negative.

    ``amount`` is a decimal string (``"1250.00"``), the price the customer paid (after any
    category discount); JSON numbers with a fraction are refused because a float has
    already lost the cents. Zero is refused. ``currency`` must be one the suite values
    (shared/currencies.yaml), written as its ISO 4217 code in capitals. ``refund_of``
    names the purchase a refund (negative amount) reverses.
    """

    model_config = _STRICT

    customer_id: Identifier
    amount: Money = Field(examples=["1250.00", "-300.00"])
    currency: str = Field(examples=["RUB"], description=(
        "ISO 4217 code of a currency the suite values (shared/currencies.yaml)"))
    refund_of: Identifier | None = Field(default=None, description=(
        "For a refund (negative amount): the purchase_id of the purchase it reverses."))
    discounted: bool = Field(default=False, description="Bought on a promotion.")
    payment_method: str = Field(min_length=1, max_length=40, examples=["card"])
    employee_id: Identifier | None = None
    channel: str | None = Field(default=None, max_length=40, examples=["call"])

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, value: Decimal) -> Decimal:
        return purchase_amount(value)

    @field_validator("currency")
    @classmethod
    def _valued(cls, value: str) -> str:
        try:
            return default_table().check(value)
        except UnvaluedCurrency as error:
            raise PydanticCustomError(
                "currency_not_valued", "{message}",
                {"message": str(error), "accepted": list(error.accepted)}) from None
        except NotACurrency as error:
            raise PydanticCustomError("currency_code", "{message}",
                                      {"message": str(error)}) from None

    @field_validator("payment_method")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @model_validator(mode="after")
    def _refund_is_negative(self) -> PurchaseRequest:
        if not refund_is_negative(self.amount, self.refund_of):
            raise PydanticCustomError(
                "refund_amount", "a refund (refund_of) needs a negative amount, e.g. \"-300.00\"")
        return self

    def to_event(self, purchase_id: str) -> PurchaseRecorded:
        """The ``crm.purchase.recorded.v1`` event for this purchase."""
        return PurchaseRecorded(purchase_id=purchase_id, **self.model_dump())



class NoteRequest(BaseModel):
    """``POST /api/customers/{id}/notes``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=MAX_NOTE_LENGTH,
                      examples=["Prefers calls after 6 pm; ask for Anna"])

    @field_validator("text")
    @classmethod
    def _printable(cls, value: str) -> str:
        return note_text(value)


class ThankYouRequest(BaseModel):
    """``POST /api/customers/{id}/thank-yous``; the points cap is the registry's setting
    ``CRM_THANK_YOU_MAX_BONUS`` (checked by the use case)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    thank_you_id: Identifier | None = Field(
        default=None, description="Your id for this thank-you: the same id again is not "
                                  "sent or credited twice. Made up when absent.")
    reason: ThankYouReason = Field(examples=["complaint_resolved"])
    bonus_points: int = Field(default=0, ge=0, examples=[100])
    note: LongText | None = Field(default=None, examples=["Sorry for the late delivery"])


class SearchRequest(BaseModel):
    """``POST /api/customers/search``: the query in the body, out of every URL."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(max_length=200, description="Part of a name (any script), an email, a "
                   "phone or loyalty card number, or a customer id.", examples=["petrova"])
    offset: int = Field(0, ge=0, le=100_000)
    limit: int = Field(20, ge=1, le=100)


class CallerLookup(BaseModel):
    """``POST /api/callers/lookup``: the number in the body, out of every URL."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=64,
                       description="The caller's number in any common notation.",
                       examples=["8 900 123-45-67"])


class OutcomeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome


class CallerChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1, max_length=64,
                             description="One of the call event's `choices`.")


class ErasureRequest(BaseModel):
    """Why the customer is erased, for the record (no personal data)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(default=None, max_length=200,
                               examples=["data subject's request of 2026-11-27"])


class SignIn(BaseModel):
    """``POST /api/sessions``."""

    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=200, examples=["apetrova"])
    password: SecretStr = Field(min_length=1, max_length=1024)


# The operator directory ------------------------------------------------------------------
Password = Annotated[SecretStr, Field(examples=["correct horse battery staple"])]


class NewOperator(BaseModel):
    """``POST /api/operators``: a person who will sign in with a login and a password."""

    model_config = _STRICT

    login: Login
    display_name: PersonName = Field(examples=["Anna Petrova"],
                                     description="How colleagues and customers see the name.")
    display_names: dict[Language, PersonName] = Field(
        default_factory=dict, examples=[{"ru": "Анна Петрова", "fa": "آنا پتروا"}],
        description="The name in other scripts, by language (survey SMS in that language).")
    role: StaffRole
    password: Password
    extension: Extension | None = Field(
        default=None, description="The phone extension the person answers on.")
    languages: Languages = Field(default_factory=list, max_length=3,
                                      description="Languages the person speaks with callers.")

    @model_validator(mode="after")
    def _password_rules(self) -> NewOperator:
        problem = password_problem(self.password.get_secret_value(), self.login)
        if problem:
            raise ValueError(problem)
        return self

    def profile(self) -> OperatorProfile:
        """The person to add, the password left out (it is hashed, never stored as given)."""
        return OperatorProfile(
            login=self.login, display_name=self.display_name, role=self.role,
            display_names=self.display_names, extension=self.extension,
            languages=self.languages)


class OperatorPatch(BaseModel):
    """``PATCH /api/operators/{id}``: only the fields sent change (null clears the extension)."""

    model_config = _STRICT

    display_name: PersonName | None = None
    display_names: dict[Language, PersonName] | None = None
    role: StaffRole | None = None
    extension: Extension | None = None
    languages: Languages | None = Field(default=None, max_length=3)
    active: bool | None = Field(default=None, description="false disables the person at once.")
    password: Password | None = None

    @model_validator(mode="before")
    @classmethod
    def _something_changes(cls, data: Any) -> Any:
        return require_a_change(data, ("display_name", "role", "active", "password",
                                       "display_names", "languages"))

    def changes(self) -> dict[str, Any]:
        """The fields sent, password left out (it is hashed, never stored as given)."""
        return self.model_dump(exclude_unset=True, exclude={"password"})


# Categories and sources --------------------------------------------------------------------
class CategoryPatch(BaseModel):
    """A change to a category; the slug never changes (customers refer to it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    titles: CategoryTitles | None = None
    description: str | None = Field(default=None, max_length=500)
    colour: Colour | None = None
    prepayment_required: bool | None = None
    discount_percent: DiscountPercent | None = None
    advice: CategoryAdvice | None = Field(
        default=None, description="Null goes back to the built-in advice, if any."
    )

    @model_validator(mode="before")
    @classmethod
    def _something_changes(cls, data: Any) -> Any:
        return require_a_change(data, _CATEGORY_REQUIRED)

    def changes(self) -> dict[str, Any]:
        """The fields sent, with their new values (``domain.categories.patched`` applies them)."""
        return self.model_dump(exclude_unset=True)


# Every field of a category patch but the advice must keep a value; advice may be cleared.
_CATEGORY_REQUIRED = tuple(name for name in CategoryPatch.model_fields if name != "advice")


class SourcePatch(BaseModel):
    """A change to a source; the slug never changes (customers refer to it). ``synonyms``
    replaces the whole list."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    titles: SourceTitles | None = None
    synonyms: list[Text] | None = Field(default=None, max_length=MAX_SYNONYMS)

    @model_validator(mode="before")
    @classmethod
    def _something_changes(cls, data: Any) -> Any:
        return require_a_change(data)

    def changes(self) -> dict[str, Any]:
        """The fields sent, with their new values (``domain.sources.patched`` applies them)."""
        return self.model_dump(exclude_unset=True)
