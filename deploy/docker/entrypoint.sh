#!/bin/sh
# Starts one service of the suite: the first argument if it names a service, else $SERVICE.
# Any other command runs as given (e.g. `crm lag`, `crm dlq ...`, `python -m ...`).
set -eu

is_service() {
    case "$1" in
        registry|scoring|loyalty|notify) return 0 ;;
        *) return 1 ;;
    esac
}

if [ "$#" -gt 0 ] && is_service "$1"; then
    SERVICE="$1"
    shift
elif [ "$#" -gt 0 ]; then
    exec "$@"
fi

SERVICE="${SERVICE:-}"
if ! is_service "$SERVICE"; then
    echo "set SERVICE to one of: registry scoring loyalty notify (or pass it as the argument)" >&2
    exit 2
fi
# The healthcheck reads this to find the port when the service came from the arguments.
printf '%s\n' "$SERVICE" > /tmp/crm-service 2>/dev/null || true
export SERVICE
exec python -m "services.$SERVICE" "$@"
