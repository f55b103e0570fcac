import subprocess
import sys


def test_the_service_does_not_import_the_evaluation_harness_or_faker() -> None:
    probe = ("import sys, services.scoring.app; "
             "print(sorted(m for m in ('faker', 'services.scoring.evaluation', "
             "'services.scoring.population') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"
