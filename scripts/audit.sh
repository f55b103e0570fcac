#!/usr/bin/env bash
# Dependency audit for `make lint`: fails on a known vulnerability, and says plainly how
# many packages could not be checked (the vulnerability service may be unreachable).
set -uo pipefail
out=$("$(dirname "$0")/../.venv/bin/pip-audit" --skip-editable --progress-spinner off 2>&1)
code=$?
unchecked=$(grep -c "could not be audited" <<<"$out")
grep -vE "could not be audited|^Name +Skip Reason|^-+ +-+|distribution marked as editable" <<<"$out"
if [ "$unchecked" -gt 0 ]; then
  echo "dependency audit: $unchecked package(s) could not be checked (vulnerability service unreachable?)"
fi
exit $code
