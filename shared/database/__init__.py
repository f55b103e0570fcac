"""The database factory: MongoDB for a ``mongodb://`` URL, the stand-in otherwise."""

from __future__ import annotations

from pathlib import Path

from shared.database.port import Collection, Database, Document
from shared.settings import ServiceSettings

__all__ = ["Collection", "Database", "Document", "open_database"]


def open_database(settings: ServiceSettings) -> Database:
    """Create (not connect) the service's database; nothing touches the network here."""
    url = settings.mongodb_url or "memory://"
    name = f"{settings.mongodb_database_prefix}{settings.service_name}"
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from shared.database.mongo import MongoDatabase

        options: dict[str, object] = {"appname": f"crm-{settings.service_name}"}
        if settings.mongodb_tls_ca_file:
            options.update(tls=True, tlsCAFile=settings.mongodb_tls_ca_file)
        return MongoDatabase(url, name, **options)
    if url != "memory://":
        raise ValueError(
            f"MONGODB_URL must be mongodb://, mongodb+srv:// or memory://, not {url!r}"
        )
    from shared.database.memory import MemoryDatabase

    data_dir: Path | None = None
    if settings.data_dir is not None:
        data_dir = Path(settings.data_dir) / settings.service_name
    return MemoryDatabase(name, data_dir, fsync=settings.memory_fsync)
