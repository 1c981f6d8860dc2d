"""The installed package: the import-time zlib warning, metadata, license files and package data.

dev/wheel.sh runs the whole suite against the repaired wheel installed in a fresh venv; these tests
check what a wheel has to carry, and that ``import zipcore`` says when exactness is lost.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zlib
from importlib import metadata
from pathlib import Path

import zipcore

PACKAGE_DIR = Path(zipcore.__file__).parent

# Imports zipcore in a child process with Python's zlib reporting another version, and prints the
# warnings raised on the way (every one, not only the first per place) and the build info.
IMPORT_WITH_OTHER_ZLIB = """
import json, sys, warnings, zlib
zlib.ZLIB_RUNTIME_VERSION = "0.0.0-other"
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import zipcore, zipcore.cli, zipcore.entropy.ratio
    info = zipcore.build_info()
print(json.dumps({"file": zipcore.__file__, "zlib_exact": info["zlib_exact"],
                  "warnings": [[w.category.__name__, str(w.message)] for w in caught]}))
"""


def run_python(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # cwd outside the repository, so the child imports the zipcore this process imported.
    return subprocess.run([sys.executable, *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)


def test_import_is_silent_when_zlib_matches(tmp_path):
    assert zipcore.build_info()["zlib_exact"] is True
    done = run_python(tmp_path, "-W", "error", "-c",
                      "import zipcore, zipcore.cli; print(zipcore.__file__)")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip() == zipcore.__file__


def test_import_warns_once_when_zlib_differs(tmp_path):
    done = run_python(tmp_path, "-c", IMPORT_WITH_OTHER_ZLIB)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["file"] == zipcore.__file__
    assert report["zlib_exact"] is False
    assert len(report["warnings"]) == 1, report["warnings"]
    category, message = report["warnings"][0]
    assert category == "RuntimeWarning"
    linked = zipcore.build_info()["zlib_linked"]
    assert f"engine runs zlib {linked} but Python's zlib module runs zlib 0.0.0-other" in message
    assert "zlib.compress(data, 9)" in message and "reference script" in message
    assert "codec='zstd' is not affected" in message
    assert "--no-binary zipcore" in message


def test_import_with_other_zlib_fails_under_W_error(tmp_path):
    # The warning is a real RuntimeWarning: a strict warnings filter turns it into an error.
    code = IMPORT_WITH_OTHER_ZLIB.replace('warnings.simplefilter("always")',
                                          'warnings.simplefilter("error")')
    done = run_python(tmp_path, "-c", code)
    assert done.returncode != 0
    assert "RuntimeWarning: zipcore: the engine runs zlib" in done.stderr


def test_engine_loads_the_zlib_python_runs():
    info = zipcore.build_info()
    assert info["zlib_linked"] == info["zlib_python"] == zlib.ZLIB_RUNTIME_VERSION


def test_metadata():
    meta = metadata.metadata("zipcore")
    assert meta["Version"] == zipcore.__version__
    assert meta["License-Expression"] == "Apache-2.0"
    classifiers = meta.get_all("Classifier") or []
    assert f"Programming Language :: Python :: {sys.version_info[0]}.{sys.version_info[1]}" \
        in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the SPDX expression says it
    scripts = metadata.entry_points(group="console_scripts", name="zipcore")
    assert [callable(script.load()) for script in scripts] == [True]


def test_license_files_are_installed():
    files = {Path(str(f)).name: f for f in metadata.files("zipcore") or []
             if ".dist-info" in str(f)}
    assert {"LICENSE", "NOTICE"} <= set(files)
    license_text = files["LICENSE"].read_text(encoding="utf-8")
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    notice = files["NOTICE"].read_text(encoding="utf-8")
    assert "Copyright (c) 2021 OpenAI" in notice and "Copyright (c) 2022 Anthropic" in notice


def test_package_data_is_installed():
    assert zipcore.EXAMPLE_POOL.is_file()
    assert (PACKAGE_DIR / "py.typed").is_file()
    assert (PACKAGE_DIR / "_core.pyi").is_file()
    with open(zipcore.EXAMPLE_POOL, encoding="utf-8") as f:
        assert len(json.load(f)) == 1500


def test_zlib_is_not_bundled():
    # A wheel's repair step copies libraries into zipcore.libs/ (auditwheel) or zipcore/.dylibs/
    # (delocate); zlib must not be among them, so the engine loads the system zlib (see NOTICE).
    bundled = [p.name for d in (PACKAGE_DIR.parent / "zipcore.libs", PACKAGE_DIR / ".dylibs")
               if d.is_dir() for p in d.iterdir()]
    assert not [name for name in bundled if re.match(r"libz[-.]", name)], bundled
