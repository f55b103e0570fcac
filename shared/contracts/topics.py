"""Topic names of the public contract: ``crm.<event>.v<major>``; each has a ``.dlq`` twin."""

CUSTOMER_REGISTERED = "crm.customer.registered.v1"
CUSTOMER_UPDATED = "crm.customer.updated.v1"
CUSTOMER_SCORED = "crm.customer.scored.v1"
CUSTOMER_SEGMENTED = "crm.customer.segmented.v1"
INTERACTION_LOGGED = "crm.interaction.logged.v1"
PURCHASE_RECORDED = "crm.purchase.recorded.v1"
LOYALTY_UPDATED = "crm.loyalty.updated.v1"
TIER_CHANGED = "crm.customer.tier-changed.v1"
CUSTOMER_LAPSED = "crm.customer.lapsed.v1"
REFERRAL_CREDITED = "crm.referral.credited.v1"
POINTS_REDEEMED = "crm.points.redeemed.v1"
NOTIFICATION_SENT = "crm.notification.sent.v1"
SURVEY_ANSWERED = "crm.survey.answered.v1"
OPERATOR_UPDATED = "crm.operator.updated.v1"
CUSTOMER_ERASED = "crm.customer.erased.v1"
FRAUD_OUTCOME = "crm.fraud.outcome.v1"
POINTS_EXPIRED = "crm.points.expired.v1"
POINTS_EXPIRING = "crm.points.expiring.v1"
CUSTOMER_THANKED = "crm.customer.thanked.v1"

ALL = (
    CUSTOMER_REGISTERED,
    CUSTOMER_UPDATED,
    CUSTOMER_SCORED,
    CUSTOMER_SEGMENTED,
    INTERACTION_LOGGED,
    PURCHASE_RECORDED,
    LOYALTY_UPDATED,
    TIER_CHANGED,
    CUSTOMER_LAPSED,
    REFERRAL_CREDITED,
    POINTS_REDEEMED,
    NOTIFICATION_SENT,
    SURVEY_ANSWERED,
    OPERATOR_UPDATED,
    CUSTOMER_ERASED,
    FRAUD_OUTCOME,
    POINTS_EXPIRED,
    POINTS_EXPIRING,
    CUSTOMER_THANKED,
)


def dlq(topic: str) -> str:
    """The dead-letter twin of a topic."""
    return f"{topic}.dlq"


def all_with_dlq() -> list[str]:
    return [name for topic in ALL for name in (topic, dlq(topic))]
