"""Sources: normalised spellings, the admin's list, and customers' sources read against it."""

import pytest

from services.registry import handlers
from services.registry.api.schemas import CustomerPatch, SourcePatch
from services.registry.domain.errors import (
    SourceClash,
    SourceExists,
    SourceInUse,
    SourceNotFound,
    UnknownSource,
)
from services.registry.domain.sources import (
    DEFAULT_SOURCES,
    Source,
    SourceTitles,
    clashing_source,
    resolve_source,
    source_key,
)
from services.registry.handlers.sources import source_slug
from services.registry.repository import RegistryRepository
from shared.contracts import CustomerRegistered
from tests.unit.registry.conftest import OPERATOR, audit, registration

RADIO = Source(slug="radio_show", titles=SourceTitles(en="Radio show", ru="Радиошоу"),
               synonyms=["morning show"])


def test_spellings_are_compared_case_folded_trimmed_and_collapsed() -> None:
    assert source_key("  Word   of\tMOUTH ") == "word of mouth"


def test_yo_is_read_as_ye() -> None:
    assert source_key("Зашёл сам") == source_key("зашел сам")


def test_arabic_yeh_and_kaf_are_read_as_the_persian_letters() -> None:
    assert source_key("كي") == source_key("کی")


@pytest.mark.parametrize("typed", ["friend", "Friend", "ДРУГ", " от  друга ", "دوست",
                                   "Word of mouth", "A friend"])
def test_every_spelling_of_a_friend_is_the_friend_source(typed: str) -> None:
    assert resolve_source(typed, DEFAULT_SOURCES) == "friend"


def test_free_text_names_no_source() -> None:
    assert resolve_source("a pigeon told me", DEFAULT_SOURCES) is None


def test_the_defaults_do_not_clash_with_each_other() -> None:
    assert all(clashing_source(s, DEFAULT_SOURCES) is None for s in DEFAULT_SOURCES)


def test_every_default_has_a_title_in_the_three_languages() -> None:
    assert all(s.titles.ru and s.titles.fa for s in DEFAULT_SOURCES)


async def test_the_defaults_are_seeded_once(repo: RegistryRepository) -> None:
    listed = [row["slug"] for row in await handlers.list_sources(repo)]
    assert listed == sorted(s.slug for s in DEFAULT_SOURCES)
    await handlers.delete_source(repo, "partner")
    assert await handlers.seed_default_sources(repo) == []
    assert "partner" not in [row["slug"] for row in await handlers.list_sources(repo)]


async def test_a_new_source_is_listed(repo: RegistryRepository) -> None:
    created = await handlers.create_source(repo, RADIO)
    assert created["titles"]["ru"] == "Радиошоу"
    assert "radio_show" in [row["slug"] for row in await handlers.list_sources(repo)]


async def test_a_slug_cannot_be_created_twice(repo: RegistryRepository) -> None:
    with pytest.raises(SourceExists):
        await handlers.create_source(repo, RADIO.model_copy(update={"slug": "friend"}))


async def test_a_synonym_of_another_source_is_a_clash_naming_it(
    repo: RegistryRepository,
) -> None:
    with pytest.raises(SourceClash) as refused:
        await handlers.create_source(repo, RADIO.model_copy(update={"synonyms": ["ДРУЗЬЯ"]}))
    assert refused.value.detail["source"] == "friend"


async def test_a_title_clashes_after_normalising(repo: RegistryRepository) -> None:
    clash = SourcePatch(titles=SourceTitles(en="Walk-in", fa="مراجعه حضوري"))
    await handlers.create_source(repo, RADIO)
    with pytest.raises(SourceClash) as refused:
        await handlers.change_source(repo, "radio_show", clash)
    assert refused.value.detail["source"] == "walk_in"


async def test_a_source_may_keep_its_own_spellings_when_changed(
    repo: RegistryRepository,
) -> None:
    changed = await handlers.change_source(
        repo, "friend", SourcePatch(synonyms=["friend", "a mate"]))
    assert changed["synonyms"] == ["friend", "a mate"]
    assert await source_slug(repo, "A  Mate") == "friend"


async def test_changing_an_unknown_source_is_not_found(repo: RegistryRepository) -> None:
    with pytest.raises(SourceNotFound):
        await handlers.change_source(repo, "nope", SourcePatch(synonyms=[]))


async def test_a_source_customers_came_from_cannot_be_deleted(
    repo: RegistryRepository,
) -> None:
    await handlers.register(repo, audit(repo), registration(source="search"), OPERATOR)
    with pytest.raises(SourceInUse) as refused:
        await handlers.delete_source(repo, "search")
    assert refused.value.detail["customers"] == 1


async def test_a_registration_stores_the_slug_of_a_synonym(repo: RegistryRepository) -> None:
    event = await handlers.register(repo, audit(repo), registration(source="Друг"), OPERATOR)
    stored = await repo.customer(event.customer_id)
    assert (event.source, stored and stored["source"]) == ("friend", "friend")


async def test_an_unknown_source_is_refused_listing_the_slugs(
    repo: RegistryRepository,
) -> None:
    with pytest.raises(UnknownSource) as refused:
        await handlers.register(repo, audit(repo), registration(source="pigeon"), OPERATOR)
    assert refused.value.detail["valid"] == sorted(s.slug for s in DEFAULT_SOURCES)
    assert "walk_in" in refused.value.message


async def test_a_change_of_source_publishes_the_slug(repo: RegistryRepository) -> None:
    event = await handlers.register(repo, audit(repo), registration(source="google"), OPERATOR)
    _, updated = await handlers.change_customer(
        repo, audit(repo), event.customer_id, CustomerPatch(source="Соцсети"), OPERATOR)
    assert updated is not None and (updated.source, updated.changed) == ("social", ["source"])


async def test_the_same_source_in_another_spelling_changes_nothing(
    repo: RegistryRepository,
) -> None:
    event = await handlers.register(repo, audit(repo), registration(source="google"), OPERATOR)
    _, updated = await handlers.change_customer(
        repo, audit(repo), event.customer_id, CustomerPatch(source="Search"), OPERATOR)
    assert updated is None


def elsewhere(customer_id: str, source: str) -> CustomerRegistered:
    return registration(phone=f"+7900{customer_id[-7:]}", source=None).to_event(
        customer_id, entered_by="self").model_copy(update={"source": source})


async def test_a_registration_from_elsewhere_is_stored_and_told_as_the_slug(
    repo: RegistryRepository,
) -> None:
    published = await handlers.on_registered(repo, elsewhere("c-0000001", "Word of mouth"))
    stored = await repo.customer("c-0000001")
    assert stored is not None and stored["source"] == "friend"
    assert [(e.source, e.changed) for e in published] == [("friend", ["source"])]


async def test_free_text_from_elsewhere_is_kept_as_it_came(repo: RegistryRepository) -> None:
    assert await handlers.on_registered(repo, elsewhere("c-0000002", "a pigeon")) == []
    stored = await repo.customer("c-0000002")
    assert stored is not None and stored["source"] == "a pigeon"


async def test_the_sweep_maps_known_spellings_and_leaves_the_rest(
    repo: RegistryRepository,
) -> None:
    for n, source in enumerate(["Друг", "friend", "pigeon", "ЯНДЕКС", "Друзья"]):
        await handlers.on_registered(repo, elsewhere(f"c-000001{n}", "pigeon"))
        await repo.update_customer(f"c-000001{n}", {"source": source})
    first, after, read = await handlers.normalise_sources(repo, audit(repo), "", 2, OPERATOR)
    rest, done, more = await handlers.normalise_sources(repo, audit(repo), after or "", 10,
                                                        OPERATOR)
    changed = {e.customer_id: e.source for e in [*first, *rest]}
    assert (read, more, done) == (2, 3, None)
    assert changed == {"c-0000010": "friend", "c-0000013": "search", "c-0000014": "friend"}
    again, _, _ = await handlers.normalise_sources(repo, audit(repo), "", 10, OPERATOR)
    assert again == []
    history = await audit(repo).collection.find_one({"_id": "customer:c-0000010"})
    assert history is not None
    assert history["entries"][-1]["changes"] == [
        {"field": "source", "from": "Друг", "to": "friend"}]
