"""Use cases of admins: the list of sources, and reading a customer's source against it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.registry.domain.changes import customer_updated
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
    clashing_source,
    patched,
    resolve_source,
)
from services.registry.repository import RegistryRepository
from shared.audit import AuditTrail, field_changes
from shared.auth import Principal
from shared.clock import utc_now
from shared.contracts import CustomerUpdated

if TYPE_CHECKING:  # the command is the HTTP body; api imports these use cases at run time
    from services.registry.api.schemas import SourcePatch

SOURCES_SEEDED = "default_sources_seeded"
#: ``changed_by`` of the update told when a registration from elsewhere is mapped.
NORMALISER = "client:sources-normaliser"


async def seed_default_sources(repo: RegistryRepository) -> list[str]:
    """Insert the default sources once per database (a default an admin deleted stays
    deleted); a database that already holds any source gets none added."""
    if await repo.fact(SOURCES_SEEDED) is not None:
        return []
    inserted = [] if await repo.all_sources() else [s.slug for s in DEFAULT_SOURCES]
    for source in DEFAULT_SOURCES:
        if source.slug in inserted:
            await repo.save_source(source)
    await repo.record_fact(SOURCES_SEEDED, {"at": utc_now(), "inserted": inserted})
    return inserted


async def list_sources(repo: RegistryRepository) -> list[dict[str, Any]]:
    return [source.model_dump(mode="json") for source in await repo.all_sources()]


async def _check_clash(repo: RegistryRepository, source: Source) -> None:
    clash = clashing_source(source, await repo.all_sources())
    if clash is not None:
        raise SourceClash(*clash)


async def create_source(repo: RegistryRepository, source: Source) -> dict[str, Any]:
    if any(s.slug == source.slug for s in await repo.all_sources()):
        raise SourceExists(source.slug)
    await _check_clash(repo, source)
    await repo.save_source(source)
    return source.model_dump(mode="json")


async def _source(repo: RegistryRepository, slug: str) -> Source:
    for source in await repo.all_sources():
        if source.slug == slug:
            return source
    raise SourceNotFound()


async def change_source(repo: RegistryRepository, slug: str,
                        patch: SourcePatch) -> dict[str, Any]:
    changed = patched(await _source(repo, slug), patch.changes())
    await _check_clash(repo, changed)
    await repo.save_source(changed)
    return changed.model_dump(mode="json")


async def delete_source(repo: RegistryRepository, slug: str) -> None:
    """Delete an unused source; one that customers came from is refused (``SourceInUse``)."""
    await _source(repo, slug)
    customers = await repo.source_usage_count(slug)
    if customers > 0:
        raise SourceInUse(slug, customers)
    await repo.delete_source(slug)


async def source_slug(repo: RegistryRepository, text: str | None) -> str | None:
    """The slug an operator's ``source`` names (slug, title or synonym); None stays None;
    anything else is refused (``UnknownSource``) listing the valid slugs."""
    if text is None:
        return None
    sources = await repo.all_sources()
    slug = resolve_source(text, sources)
    if slug is None:
        raise UnknownSource([source.slug for source in sources])
    return slug


async def known_source(repo: RegistryRepository, text: str | None) -> str | None:
    """What to store of a source another system sent: its slug when the text names one,
    else the text as it came (never refused: the normalising sweep maps it once an admin
    adds it as a synonym)."""
    if text is None:
        return None
    return resolve_source(text, await repo.all_sources()) or text


async def normalise_sources(
    repo: RegistryRepository, audit: AuditTrail, after: str, limit: int, by: Principal
) -> tuple[list[CustomerUpdated], str | None, int]:
    """One chunk of the sweep ``by`` started: customers after id ``after`` whose stored
    source is a known title or synonym get the slug, in their history too. Returns the
    updates to publish, the last id read (None when the sweep is done) and how many
    customers were read."""
    sources = await repo.all_sources()
    rows = await repo.customer_sources(after, limit)
    events = []
    for row in rows:
        slug = resolve_source(str(row["source"]), sources)
        if slug is not None and slug != row["source"]:
            await repo.update_customer(row["_id"], {"source": slug})
            event = customer_updated(row["_id"], {"source": slug}, changed_by=by.actor)
            await audit.record(f"customer:{row['_id']}", "changed", by, event.occurred_at,
                               field_changes(row, {"source": slug}, ["source"]))
            events.append(event)
    last = str(rows[-1]["_id"]) if len(rows) == limit else None
    return events, last, len(rows)
