"""zipcore.entropy.monitor and ``zipcore monitor``: flags on constructed versions of a real pool,
the quality fit, CSV errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from data_versions import with_fresh_samples, with_near_duplicates, write_versions
from zipcore import cli
from zipcore.entropy import monitor
from zipcore.entropy.monitor import VersionReport, classify, fit_quality

BASE = 1000  # records of the example pool per version: ~0.65 MB, exact zlib-9 in ~0.03 s


@pytest.fixture(scope="module")
def versions(real_pool) -> dict[str, list[dict]]:
    """v1 = a slice of the real pool; fresh = v1 with 20% swapped for unused real records of the
    same source; dup = v1 with 20% replaced by near-duplicates of the record kept just before
    (within zlib's window); dup_far = the same with copies of random kept records at least 100
    records (~65 KB) away, out of zlib's window."""
    base = real_pool("pool", 0, BASE)
    rest = real_pool("pool", BASE, None) + real_pool("gsm8k")
    return {"v1": base,
            "fresh": with_fresh_samples(base, rest, 0.2, seed=0),
            "dup": with_near_duplicates(base, 0.2, seed=0, adjacent=True),
            "dup_far": with_near_duplicates(base, 0.2, seed=0, adjacent=False, far=100)}


def _csv(tmp_path: Path, versions: dict, names: list[str], losses: dict) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    return write_versions(folder, {n: versions[n] for n in names}, losses)


def _rows(result: monitor.MonitorResult) -> dict[str, VersionReport]:
    return {v.version: v for v in result.versions}


# --- flags on real data ---------------------------------------------------------------------

def test_near_duplicates_are_flagged_and_fresh_samples_are_not(tmp_path, versions):
    csv_path = _csv(tmp_path, versions, ["v1", "fresh", "dup"],
                    {"v1": 1.200, "fresh": 1.203, "dup": 1.230})
    rows = _rows(monitor.monitor(csv_path))
    assert rows["v1"].flag == "" and rows["v1"].ratio_change_pct is None
    assert abs(rows["fresh"].ratio_change_pct) < monitor.R_PCT and rows["fresh"].flag == ""
    assert rows["dup"].ratio_change_pct > 10  # 20% near-copies: far beyond the 1% threshold
    assert rows["dup"].loss_change_pct == pytest.approx(100 * (1.230 / 1.203 - 1))
    assert rows["dup"].flag == "RISK"
    assert "rose together" in rows["dup"].explanation
    assert all(v.samples == BASE for v in rows.values())


def test_near_duplicates_with_steady_loss_are_flagged_r_up(tmp_path, versions):
    csv_path = _csv(tmp_path, versions, ["v1", "fresh", "dup"],
                    {"v1": 1.200, "fresh": 1.201, "dup": 1.199})
    result = monitor.monitor(csv_path, against="first")
    rows = _rows(result)
    assert (rows["fresh"].flag, rows["dup"].flag) == ("", "R-UP")
    assert "more redundant" in rows["dup"].explanation
    assert result.warnings == ["dup"]


def test_shuffled_near_duplicates_need_zstd(tmp_path, versions):
    """zlib's 32 KB window cannot see a copy whose original is far away (docs/entropy_law.md);
    zstd with a window over the whole version does."""
    csv_path = _csv(tmp_path, versions, ["v1", "dup_far"], {})
    zlib_row = _rows(monitor.monitor(csv_path))["dup_far"]
    zstd_row = _rows(monitor.monitor(csv_path, codec="zstd"))["dup_far"]
    assert abs(zlib_row.ratio_change_pct) < monitor.R_PCT and zlib_row.flag == ""
    assert zstd_row.ratio_change_pct > 10 and zstd_row.flag == "R-UP"
    assert "no L given" in zstd_row.explanation


@pytest.mark.parametrize("d_r, d_l, flag", [
    (5.0, 2.0, "RISK"), (5.0, 0.2, "R-UP"), (5.0, -3.0, "R-UP"), (5.0, None, "R-UP"),
    (0.5, 2.0, "L-UP"), (0.5, 0.0, ""), (0.5, -2.0, ""), (0.5, None, ""),
    (-5.0, 2.0, "MIXED"), (-5.0, 0.4, "GAIN"), (-5.0, -2.0, "GAIN"), (-5.0, None, "R-DOWN"),
    (1.0, 0.5, ""),  # at the thresholds: steady
])
def test_classify(d_r, d_l, flag):
    assert classify(d_r, d_l) == flag


def test_no_versions_to_analyse_is_a_clear_error():
    with pytest.raises(ValueError, match="no versions to analyse"):
        monitor.analyse([], against="first")


def test_thresholds_are_options():
    assert classify(3.0, 1.0, r_pct=5.0, l_pct=2.0) == ""
    assert classify(3.0, 1.0, r_pct=2.0, l_pct=0.5) == "RISK"


def test_l_up_explanation():
    before, now = _version("a", 3.0, 1.0), _version("b", 3.01, 1.05)
    monitor.flag_versions([before, now])
    assert now.flag == "L-UP"
    assert now.explanation.startswith("L 1 -> 1.05 (+5.0%) while R held steady (3.0000 -> "
                                      "3.0100): less consistent data")


# --- quality fit ----------------------------------------------------------------------------

def _version(name: str, r: float, loss=None, quality=None) -> VersionReport:
    return VersionReport(version=name, path=f"{name}.json", samples=10, bytes=100, compressed=30,
                         ratio=r, codec="zlib-9", method="exact", loss=loss, quality=quality)


def _law(r: float, loss: float) -> float:
    return 2.0 - 0.3 * r - 0.5 * loss


def test_fit_on_r_and_l_recovers_a_linear_law_and_predicts():
    points = [(3.0, 1.2), (3.4, 1.1), (2.9, 1.5), (3.8, 1.3), (3.1, 1.0)]
    rows = [_version(f"v{i}", r, l_, _law(r, l_)) for i, (r, l_) in enumerate(points)]
    rows.append(_version("next", 3.3, 1.25))
    result = monitor.analyse(rows)
    fit = result.fit
    assert fit.terms == ["R", "L"] and fit.versions == [f"v{i}" for i in range(5)]
    assert fit.intercept == pytest.approx(2.0)
    assert fit.coefficients == pytest.approx([-0.3, -0.5])
    assert fit.rms_error < 1e-9 and fit.loo_rms_error < 1e-9 and fit.r_squared == pytest.approx(1)
    assert rows[-1].predicted_quality == pytest.approx(_law(3.3, 1.25))
    text = monitor.format_report(result)
    assert "quality = 2 - 0.3*R - 0.5*L" in text
    assert "next: predicted quality" in text and "~" + format(_law(3.3, 1.25), ".4g") in text


def test_fit_reports_its_error_on_noisy_scores():
    noise = [0.02, -0.01, -0.02, 0.015, 0.0]
    rs = [3.0, 3.4, 2.9, 3.8, 3.1]
    rows = [_version(f"v{i}", r, None, 1.0 - 0.2 * r + e)
            for i, (r, e) in enumerate(zip(rs, noise))]
    fit, note = fit_quality(rows)
    assert fit.terms == ["R"] and "L left out" in note
    assert 0.005 < fit.rms_error < fit.loo_rms_error < 0.1


def test_three_scored_versions_fit_r_only_and_two_do_not_fit():
    rows = [_version("a", 3.0, 1.2, 0.6), _version("b", 3.5, 1.3, 0.5),
            _version("c", 2.8, 1.1, 0.66), _version("d", 3.2, 1.2)]
    fit, note = fit_quality(rows)
    assert fit.terms == ["R"] and "needs 4 or more scored versions" in note
    assert fit.loo_rms_error is not None
    fit, note = fit_quality(rows[:2] + rows[3:])
    assert fit is None and "at least 3 versions with a quality score, 2 given" in note
    same_r = [_version(n, 3.0, None, q) for n, q in (("a", 0.5), ("b", 0.6), ("c", 0.7))]
    assert fit_quality(same_r) == (None, "no quality fit: R does not vary across the scored "
                                         "versions")


# --- the command ----------------------------------------------------------------------------

def test_monitor_command_prints_the_table_and_explanations(tmp_path, versions, monkeypatch,
                                                            capsys):
    csv_path = _csv(tmp_path, versions, ["v1", "fresh", "dup"],
                    {"v1": 1.200, "fresh": 1.203, "dup": 1.230})
    monkeypatch.chdir(tmp_path)  # paths resolve against the CSV's folder, not the cwd
    assert cli.main(["monitor", str(csv_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["version", "samples", "bytes", "R", "dR", "L", "dL", "flag"]
    assert lines[1].split()[:2] == ["v1", str(BASE)] and lines[1].split()[-1] == "-"
    assert lines[2].split()[-1] != "RISK" and lines[3].split()[-1] == "RISK"
    assert "  dup: RISK: R " in out and "fresh:" not in out.split("\n\n")[1]

    assert cli.main(["monitor", str(csv_path), "--strict"]) == 1
    capsys.readouterr()
    assert cli.main(["monitor", str(csv_path), "--strict", "--r-tol", "50",
                     "--l-tol", "5"]) == 0
    assert "No flags" in capsys.readouterr().out


def test_monitor_json(tmp_path, versions, capsys):
    csv_path = _csv(tmp_path, versions, ["v1", "dup"], {"v1": 1.2})
    absolute = csv_path.parent / "dup.json"  # absolute paths are taken as they are
    csv_path.write_text(csv_path.read_text().replace("dup,dup.json", f"dup,{absolute}"))
    assert cli.main(["monitor", str(csv_path), "--json", "--l-tol", "1%"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["thresholds_pct"] == {"R": 1.0, "L": 1.0}
    assert [v["version"] for v in data["versions"]] == ["v1", "dup"]
    assert data["versions"][1]["flag"] == "R-UP" and data["warnings"] == ["dup"]
    assert data["versions"][1]["loss"] is None and data["fit"] is None


def test_monitor_plot_is_written(tmp_path, versions, capsys):
    pytest.importorskip("matplotlib")
    folder = tmp_path / "data"
    folder.mkdir()
    csv_path = write_versions(folder, {n: versions[n] for n in ["v1", "fresh", "dup"]},
                              {"v1": 1.2, "fresh": 1.201, "dup": 1.23},
                              {"v1": 0.61, "fresh": 0.612, "dup": 0.55})
    (folder / "versions.csv").write_text(csv_path.read_text() + "next,v1.json,1.21,\n")
    png = tmp_path / "monitor.png"
    assert cli.main(["monitor", str(csv_path), "--plot", str(png)]) == 0
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and 10_000 < len(data) < 150_000
    out = capsys.readouterr().out
    assert "Quality fit: least squares on R over 3 scored versions" in out
    assert "next: predicted quality" in out


def test_missing_matplotlib_exits_2_before_measuring(tmp_path, versions, monkeypatch, capsys):
    csv_path = _csv(tmp_path, versions, ["v1"], {})
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    monkeypatch.setattr(monitor, "measure", lambda *a, **k: pytest.fail("measured"))
    png = tmp_path / "m.png"
    assert cli.main(["monitor", str(csv_path), "--plot", str(png)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("zipcore: error: --plot needs matplotlib, which is not installed; "
                   "install it with: pip install 'zipcore[plot]'")
    assert not png.exists()


CSV_ERRORS = {
    "empty": ("", "empty; expected a header row"),
    "no_path_column": ("version,loss\nv1,1.0\n", ":1: the header must name the columns"),
    "unknown_column": ("version,path,los\nv1,a.json,1\n", "found 'version,path,los'"),
    "no_rows": ("version,path\n", "no versions after the header row"),
    "bad_loss": ("version,path,loss\nv1,a.json,low\n", ":2: loss 'low' is not a number"),
    "zero_loss": ("version,path,loss\nv1,a.json,0\n", ":2: loss must be a positive number"),
    "nan_quality": ("version,path,quality\nv1,a.json,nan\n", ":2: quality must be a finite"),
    "short_row": ("version,path,loss\nv1,a.json\n", ":2: 2 fields, the header has 3"),
    "twice": ("version,path\nv1,a.json\nv1,b.json\n", ":3: version 'v1' appears twice"),
    "empty_path": ("version,path\nv1, \n", ":2: version and path must not be empty"),
    "missing_dataset": ("version,path\nv1,absent.json\n", "absent.json: No such file"),
    # A row's line, where an earlier row's quoted cell holds line breaks (rows were counted).
    "line_after_breaks": ('version,path\n"v\n\n\n1",a.json\n',
                          ":2: the version name 'v\\n\\n\\n1' holds a line break"),
    "line_after_a_quoted_break": ('version,path,loss\nv1,a.json,"1\n"\nv2, ,\n',
                                  ":4: version and path must not be empty"),
    "unclosed_quote": ('version,path\nv1,"a.json\nv2,b.json\n',
                       ":2: not a CSV row: unexpected end of data (a cell that starts with a "
                       "quote must end with one)"),
    "unclosed_quote_alone": ('version,path\nv1,"a.json\n', ":2: not a CSV row"),
    "url": ("version,path\nv1,s3://bucket/v1.json\n",
            ":2: s3://bucket/v1.json: a versions CSV names local files"),
    "huge_field": ("version,path\nv1,\"" + "x" * 200_000 + "\"\n",
                   ":2: not a CSV row: field larger than field limit"),
    "nul_in_path": ("version,path\nv1,a.json\0\n", ":2: the path holds a NUL character"),
}


@pytest.mark.parametrize("case", sorted(CSV_ERRORS))
def test_bad_versions_csv_exits_2_with_one_line(tmp_path, capsys, case):
    content, message = CSV_ERRORS[case]
    csv_path = tmp_path / "versions.csv"
    csv_path.write_text(content)
    assert cli.main(["monitor", str(csv_path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zipcore: error: ")
    assert message in lines[0] and captured.out == ""


@pytest.mark.parametrize("argv, message", [
    (["--r-tol", "-1"], "must be a non-negative percentage"),
    (["--l-tol", "x"], "expected a percentage"),
    (["--against", "last"], "invalid choice: 'last'"),
    (["--exact", "--parallel"], "not allowed with argument"),
    (["--exact", "--exact-limit", "1K"], "--exact-limit chooses the path by size"),
    (["--level", "6"], "the zlib codec is exact at level 9 only"),  # before the CSV is read
    (["--plot", "-"], "--plot - and the report both write to standard output"),
    (["--plot", "m.pdf"], "m.pdf: the picture is written as PNG: name it *.png"),
    (["--text-field", "t", "--template", "{t}"], "give a text field or a template, not both"),
])
def test_bad_monitor_options_exit_2(tmp_path, capsys, argv, message):
    assert cli.main(["monitor", str(tmp_path / "v.csv"), *argv]) == 2
    assert message in capsys.readouterr().err


def test_every_version_is_measured_in_the_first_versions_format(tmp_path, capsys):
    """v2's first text is null: detected on its own it would be measured as repr (another R,
    flagged as a change); the first version's format holds for all, so v2 is an error."""
    rows = [{"text": f"sample {i} " * 4, "id": i} for i in range(60)]
    (tmp_path / "v1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    changed = [{**rows[0], "text": None}] + rows[1:]
    (tmp_path / "v2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in changed))
    csv_path = tmp_path / "versions.csv"
    csv_path.write_text("version,path\nv1,v1.jsonl\nv2,v2.jsonl\n")
    assert cli.main(["monitor", str(csv_path)]) == 2
    assert "version 'v2'" in capsys.readouterr().err
    assert cli.main(["monitor", str(csv_path), "--format", "record", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [v["format"] for v in data["versions"]] == ["record", "record"]


def test_a_dollar_in_a_version_name_is_drawn_as_it_is(tmp_path, versions, capsys):
    """matplotlib would read '$5_to_$10' as mathtext and fail after every version was measured."""
    pytest.importorskip("matplotlib")
    csv_path = _csv(tmp_path, versions, ["v1", "dup"], {})
    csv_path.write_text(csv_path.read_text().replace("dup,", "price_$5_to_$10,", 1))
    png = tmp_path / "m.png"
    assert cli.main(["monitor", str(csv_path), "--plot", str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG") and "price_$5_to_$10" in capsys.readouterr().out


def test_a_report_that_cannot_be_printed_leaves_no_picture(tmp_path, versions):
    pytest.importorskip("matplotlib")
    import subprocess

    csv_path = _csv(tmp_path, versions, ["v1", "dup"], {})
    png = tmp_path / "m.png"
    done = subprocess.run(["bash", "-c", f"{sys.executable} -m zipcore monitor {csv_path} "
                           f"--plot {png} > /dev/full"], capture_output=True, timeout=120)
    assert done.returncode == 2 and not png.exists()
    assert done.stderr.decode() == "zipcore: error: standard output: No space left on device\n"


def test_monitor_help_names_the_defaults(capsys):
    assert cli.main(["monitor", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "beyond this % change (default 1)" in out
    assert "beyond this % change (default 0.5)" in out
    assert "RISK (R and L up together)" in out


def test_an_unknown_option_is_named_before_any_version_is_read(tmp_path):
    csv_path = tmp_path / "versions.csv"
    csv_path.write_text("version,path\nv1,missing.jsonl\n")  # never read: the option fails first
    with pytest.raises(TypeError, match="monitor\\(\\) got an unexpected keyword argument 'by'"):
        monitor.monitor(csv_path, by="source")
