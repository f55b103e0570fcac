"""`crm privacy`: erase a customer, and see what each service keeps or removed.

    crm privacy erase c-1f3a --reason "request of 2026-11-27"   # then waits for the receipts
    crm privacy report c-1f3a                                     # what was removed where
    crm privacy export c-1f3a > c-1f3a.json                       # subject access, all services

The commands speak to the four services' HTTP APIs (``GET /api/privacy/{id}``, registry's
``POST /api/customers/{id}/erasure``) with an admin token: ``CRM_ADMIN_TOKEN`` or a signed-in
admin's token in ``CRM_TOKEN``. Service addresses default to ``make run``'s ports and follow
``CRM_<SERVICE>_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

import httpx

SERVICES = {"registry": 8000, "scoring": 8001, "loyalty": 8002, "notify": 8003}


def service_urls() -> dict[str, str]:
    return {name: os.environ.get(f"CRM_{name.upper()}_URL", f"http://127.0.0.1:{port}")
            for name, port in SERVICES.items()}


def admin_token() -> str:
    token = os.environ.get("CRM_TOKEN") or os.environ.get("CRM_ADMIN_TOKEN")
    if not token:
        raise SystemExit("set CRM_ADMIN_TOKEN (or an admin's session token in CRM_TOKEN)")
    return token


def _refusal(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text[:200]
    if isinstance(detail, dict):
        detail = detail.get("message", detail)
    return f"{response.status_code}: {detail}"


async def holdings(client: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    """Every service's answer to ``GET /api/privacy/{id}``, by service."""
    async def one(name: str, url: str) -> tuple[str, Any]:
        try:
            response = await client.get(f"{url}/api/privacy/{customer_id}")
        except httpx.HTTPError as error:
            return name, {"error": f"unreachable at {url}: {type(error).__name__}"}
        if response.status_code != 200:
            return name, {"error": _refusal(response)}
        return name, response.json()

    answers = await asyncio.gather(*(one(n, u) for n, u in service_urls().items()))
    return dict(answers)


def report_lines(customer_id: str, answers: dict[str, Any]) -> list[str]:
    """One line per service: erased when and what, or what it still keeps."""
    lines = [f"customer {customer_id}"]
    for name, answer in answers.items():
        if "error" in answer:
            lines.append(f"  {name:<9} {answer['error']}")
            continue
        erasure = answer.get("erasure")
        kept = {coll: len(docs) for coll, docs in answer.get("data", {}).items()}
        if erasure is None:
            lines.append(f"  {name:<9} not erased; keeps {_counts(kept) or 'nothing'}")
            continue
        lines.append(
            f"  {name:<9} erased {erasure['erased_at']} at the request of "
            f"{erasure['requested_by']}: removed {_counts(erasure.get('removed', {})) or 'nothing'}"
            + (f"; anonymised {_counts(erasure['anonymised'])}" if erasure.get("anonymised")
               else "")
            + (f"; still keeps {_counts(kept)}" if kept else ""))
    return lines


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))


def _all_erased(answers: dict[str, Any]) -> bool:
    return all(answer.get("erasure") is not None for answer in answers.values())


async def erase(customer_id: str, reason: str | None, wait_s: float) -> int:
    urls = service_urls()
    headers = {"Authorization": f"Bearer {admin_token()}"}
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        response = await client.post(f"{urls['registry']}/api/customers/{customer_id}/erasure",
                                     json={"reason": reason} if reason else None)
        if response.status_code != 202:
            print(f"erasure refused: {_refusal(response)}", file=sys.stderr)
            return 1
        print(f"registry erased {customer_id}; waiting up to {wait_s:.0f}s for the others",
              file=sys.stderr)
        deadline = time.monotonic() + wait_s
        while True:
            answers = await holdings(client, customer_id)
            if _all_erased(answers) or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.5)
    print("\n".join(report_lines(customer_id, answers)))
    if not _all_erased(answers):
        print("not every service has erased the customer yet: they will when they consume "
              "crm.customer.erased.v1; run `crm privacy report` later", file=sys.stderr)
        return 2
    return 0


async def report(customer_id: str, export: bool) -> int:
    headers = {"Authorization": f"Bearer {admin_token()}"}
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        answers = await holdings(client, customer_id)
    if export:
        print(json.dumps({"customer_id": customer_id, "services": answers},
                         ensure_ascii=False, indent=2))
    else:
        print("\n".join(report_lines(customer_id, answers)))
    return 1 if any("error" in answer for answer in answers.values()) else 0


def add_commands(commands: Any) -> None:
    """``crm privacy …`` on the ``crm`` parser's subcommands."""
    privacy = commands.add_parser(
        "privacy", help="erase a customer; what each service keeps or removed").add_subparsers(
        dest="action", required=True)
    erase_command = privacy.add_parser("erase", help="erase a customer and wait for every "
                                                     "service's receipt")
    erase_command.add_argument("customer_id")
    erase_command.add_argument("--reason", help="why (kept with the receipt; no personal data)")
    erase_command.add_argument("--wait", type=float, default=30.0, metavar="SECONDS")
    for name, text in (("report", "what each service removed (or still keeps)"),
                       ("export", "everything each service keeps, as JSON (subject access)")):
        command = privacy.add_parser(name, help=text)
        command.add_argument("customer_id")


def run(args: argparse.Namespace) -> int:
    if args.action == "erase":
        return asyncio.run(erase(args.customer_id, args.reason, args.wait))
    return asyncio.run(report(args.customer_id, export=args.action == "export"))
