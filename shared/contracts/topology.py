"""Who publishes and who consumes each topic (DESIGN.md, "Services and ownership").

Loyalty also consumes crm.customer.segmented.v1: it keeps each customer's segment for
profitability by segment, and crm.interaction.logged.v1: lapse counts contacts too.
Registry consumes crm.notification.sent.v1 to list notify's automatic thank-yous on the card.
"""

from shared.contracts import topics

PRODUCERS: dict[str, list[str]] = {
    topics.CUSTOMER_REGISTERED: ["registry"], topics.CUSTOMER_UPDATED: ["registry"],
    topics.INTERACTION_LOGGED: ["registry"], topics.PURCHASE_RECORDED: ["registry"],
    topics.CUSTOMER_SCORED: ["scoring"], topics.CUSTOMER_SEGMENTED: ["scoring"],
    topics.LOYALTY_UPDATED: ["loyalty"], topics.TIER_CHANGED: ["loyalty"],
    topics.CUSTOMER_LAPSED: ["loyalty"], topics.REFERRAL_CREDITED: ["loyalty"],
    topics.POINTS_REDEEMED: ["loyalty"],
    topics.NOTIFICATION_SENT: ["notify"], topics.SURVEY_ANSWERED: ["notify"],
    topics.OPERATOR_UPDATED: ["registry"], topics.CUSTOMER_ERASED: ["registry"],
    topics.FRAUD_OUTCOME: ["scoring"],
    topics.POINTS_EXPIRED: ["loyalty"], topics.POINTS_EXPIRING: ["loyalty"],
    topics.CUSTOMER_THANKED: ["registry"],
}
CONSUMERS: dict[str, list[str]] = {
    topics.CUSTOMER_REGISTERED: ["registry", "scoring", "loyalty", "notify"],
    topics.CUSTOMER_UPDATED: ["scoring", "loyalty"],
    topics.CUSTOMER_SCORED: ["registry"],
    topics.CUSTOMER_SEGMENTED: ["registry", "loyalty"],
    topics.INTERACTION_LOGGED: ["registry", "scoring", "loyalty", "notify"],
    topics.PURCHASE_RECORDED: ["registry", "scoring", "loyalty", "notify"],
    topics.LOYALTY_UPDATED: ["registry"],
    topics.TIER_CHANGED: ["registry", "notify"],
    topics.CUSTOMER_LAPSED: ["registry", "notify"],
    topics.REFERRAL_CREDITED: ["notify"],
    topics.POINTS_REDEEMED: ["registry"],
    topics.NOTIFICATION_SENT: ["registry"],
    topics.SURVEY_ANSWERED: ["registry"],
    topics.OPERATOR_UPDATED: ["scoring", "loyalty", "notify"],
    topics.CUSTOMER_ERASED: ["scoring", "loyalty", "notify"],
    topics.FRAUD_OUTCOME: [],
    topics.POINTS_EXPIRED: [],
    topics.POINTS_EXPIRING: ["notify"],
    topics.CUSTOMER_THANKED: ["registry", "loyalty", "notify"],
}
