#!/usr/bin/env python3
"""Container healthcheck: GET http://127.0.0.1:<port><path> (default /health), exit 0 on 200.

The port is CRM_<SERVICE>_PORT or the service's default; the service is $SERVICE or the
name the entrypoint wrote to /tmp/crm-service. Standard library only.
"""

import os
import sys
import urllib.request

DEFAULT_PORTS = {"registry": 8000, "scoring": 8001, "loyalty": 8002, "notify": 8003}


def service_name() -> str:
    name = os.environ.get("SERVICE", "")
    if name in DEFAULT_PORTS:
        return name
    try:
        with open("/tmp/crm-service", encoding="utf-8") as handle:  # noqa: S108
            return handle.read().strip()
    except OSError:
        return ""


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/health"
    name = service_name()
    if name not in DEFAULT_PORTS:
        print("unknown service; set SERVICE", file=sys.stderr)
        return 1
    port = int(os.environ.get(f"CRM_{name.upper()}_PORT", DEFAULT_PORTS[name]))
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except Exception as error:  # any failure is "unhealthy"
        print(f"{url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
