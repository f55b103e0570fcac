"""``CRM_REPLICAS``: several processes of a service in its consumer group (``make run``).

``CRM_REPLICAS=loyalty=2,notify=2`` starts two loyalty and two notify processes; replica n
of a service listens on the service's port + 100·(n−1) (loyalty's second: 8102) and is
named ``loyalty-2`` in the output. Replicas share the service's database, so they need a
MongoDB deployment (``MONGODB_URL=mongodb://…``): the in-process stand-in belongs to one
process (its data directory is locked).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Replica n listens on the service's port + PORT_STEP·(n−1).
PORT_STEP = 100
MAX_REPLICAS = 9


class ReplicasProblem(ValueError):
    """``CRM_REPLICAS`` cannot be used as given; the message says why and what to do."""


@dataclass(frozen=True)
class Replica:
    service: str  # the module: services.<service>
    number: int  # 1 for the first
    port: int

    @property
    def name(self) -> str:
        return self.service if self.number == 1 else f"{self.service}-{self.number}"


def parse_replicas(text: str | None, services: dict[str, int]) -> dict[str, int]:
    """How many processes of each service: 1 unless ``text`` (``loyalty=2,notify=2``) says."""
    counts = dict.fromkeys(services, 1)
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, count = part.partition("=")
        name = name.strip()
        if not sep or name not in services:
            raise ReplicasProblem(
                f"CRM_REPLICAS: {part!r} is not SERVICE=COUNT with SERVICE one of "
                f"{', '.join(services)} (e.g. CRM_REPLICAS=loyalty=2,notify=2)")
        try:
            number = int(count)
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_REPLICAS:
            raise ReplicasProblem(f"CRM_REPLICAS: {name}'s count must be 1 to {MAX_REPLICAS}, "
                                  f"not {count.strip()!r}")
        counts[name] = number
    return counts


def layout(counts: dict[str, int], ports: dict[str, int]) -> list[Replica]:
    """Every process to start, in the services' order, replicas after their first."""
    return [Replica(service, number, ports[service] + PORT_STEP * (number - 1))
            for service, count in counts.items() for number in range(1, count + 1)]


def shared_database_problem(counts: dict[str, int], mongodb_url: str) -> str | None:
    """Why these counts cannot run on this database (None: they can)."""
    several = [f"{service}={count}" for service, count in counts.items() if count > 1]
    if not several or mongodb_url.startswith(("mongodb://", "mongodb+srv://")):
        return None
    return (f"CRM_REPLICAS={','.join(several)} needs a shared database: replicas of a service "
            "share its data, and the in-process stand-in belongs to one process. Set "
            "MONGODB_URL to a MongoDB replica set, e.g. a SecantusDB server on this machine: "
            "`.venv/bin/secantusd-py --port 27018 --storage-path data/mongodb` and "
            "MONGODB_URL=mongodb://127.0.0.1:27018/?replicaSet=secantus (README: Running on "
            "MongoDB)")
