import subprocess
import sys


def test_the_service_does_not_import_the_evaluation_tools_or_faker() -> None:
    probe = ("import sys, services.scoring.app; "
             "print(sorted(m for m in sys.modules "
             "if m == 'faker' or m.split('.')[0] == 'evaluation'))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"
