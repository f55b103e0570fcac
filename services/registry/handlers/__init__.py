"""Registry's use cases: a request or an event plus the repository in, events out."""

from services.registry.handlers.billing import category_policy_updates
from services.registry.handlers.cards import (
    CARD_UPDATES,
    look_up_caller,
    on_registered,
    on_scored,
    update_card,
)
from services.registry.handlers.categories import (
    change_category,
    create_category,
    delete_category,
    list_categories,
    seed_default_categories,
)
from services.registry.handlers.customers import (
    change_customer,
    customer,
    log_interaction,
    record_purchase,
    register,
)
from services.registry.handlers.sources import (
    change_source,
    create_source,
    delete_source,
    list_sources,
    normalise_sources,
    seed_default_sources,
)

__all__ = [
    "CARD_UPDATES",
    "category_policy_updates",
    "change_category",
    "change_customer",
    "change_source",
    "create_category",
    "create_source",
    "customer",
    "delete_category",
    "delete_source",
    "list_categories",
    "list_sources",
    "log_interaction",
    "look_up_caller",
    "normalise_sources",
    "on_registered",
    "on_scored",
    "record_purchase",
    "register",
    "seed_default_categories",
    "seed_default_sources",
    "update_card",
]
