"""What `make run` says about the demo, and `make demo-reset`, which starts it afresh and never
removes a real instance. (`waystation demo` run twice is in test_startup.)"""

import subprocess
from pathlib import Path

import pyotp

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.demo import demo_second_factor_line

ROOT = Path(__file__).resolve().parents[3]


def test_the_demo_stops_announcing_anna_s_second_factor_once_she_has_one(db):
    anna = UserFactory(username="anna", roles=[Role.COORDINATOR])
    assert "(anna) sets up a second factor at first sign-in" in demo_second_factor_line()
    anna.totp_secret = pyotp.random_base32()
    anna.save()
    line = demo_second_factor_line()
    assert "(anna) has set up her second factor" in line and "sets up" not in line


def _demo_reset(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "demo-reset", f"DEMO_DIR={folder}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_demo_reset_removes_a_demo_and_nothing_else(tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "DEMO").write_text("")
    (demo / "waystation.sqlite3").write_bytes(b"demo data")
    done = _demo_reset(demo)
    assert done.returncode == 0 and "make run creates a new one" in done.stdout
    assert not demo.exists()
    assert "There is no demo instance" in _demo_reset(demo).stdout

    real = tmp_path / "real"
    real.mkdir()
    (real / "waystation.sqlite3").write_bytes(b"real data")
    refused = _demo_reset(real)
    assert refused.returncode != 0 and "holds a real instance, not a demo" in refused.stderr
    assert (real / "waystation.sqlite3").read_bytes() == b"real data"
