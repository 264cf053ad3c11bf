"""Statistics, the regression gate and the output formats, on hand-made runs (no server)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from modelkit.bench import store
from modelkit.bench.compare import Thresholds, compare_runs, load_thresholds, parse_threshold_assignments
from modelkit.bench.compare_formats import to_markdown as compare_markdown
from modelkit.bench.formats import render
from modelkit.bench.stats import outliers, summarize
from modelkit.bench.table import bench_table
from modelkit.errors import EXIT_REGRESSION, EXIT_USAGE, UsageError
from tests import bench_factory as f
from tests.helpers import run_cli


def two_model_run(a_decode=(50.0, 51.0, 50.5), b_decode=(60.0, 61.0, 60.5), run_id="20250101-000000-aaaa",
                  a_scores=(70.0, 70.0, 70.0), b_scores=(40.0, 40.0, 40.0), **kw):
    return f.run([
        f.model("smol-a:latest", [f.case(list(a_decode), list(a_scores), **kw)]),
        f.model("smol-b:latest", [f.case(list(b_decode), list(b_scores), **kw)], memory=310_000_000, cold=0.6),
    ], run_id)


# -- stats ------------------------------------------------------------------------------------


def test_summarize_median_min_max_stdev():
    s = summarize([10.0, 12.0, 11.0])
    assert (s.n, s.median, s.min, s.max) == (3, 11.0, 10.0, 12.0)
    assert s.stdev == pytest.approx(1.0)
    assert s.spread == pytest.approx(2 / 11)
    assert s.high_spread  # 18 % > 15 %
    assert not summarize([10.0, 10.5, 10.2]).high_spread
    assert summarize([]).n == 0 and summarize([None, None]).median is None
    one = summarize([5.0])
    assert one.stdev == 0.0 and not one.high_spread


def test_outliers_are_far_from_the_median_and_ignore_tiny_differences():
    assert outliers([70.0, 71.0, 50.0]) == [2]
    assert outliers([70.0, 71.0, 65.0]) == []
    assert outliers([70.0, 70.0, 70.01]) == []  # MAD 0 must not flag a 0.01 difference
    assert outliers([70.0, 50.0]) == []  # two runs: no outliers
    assert outliers([None, 70.0, 71.0, 20.0]) == [3]  # indexes into the given list


def test_flags_in_the_table():
    r = f.run([f.model("m", [f.case([50.0, 80.0, 51.0])])])
    (row,) = bench_table(r)
    assert any("decode spread" in x for x in row.flags)
    assert any("decode outlier: run 2" in x for x in row.flags)
    assert row.cells["decode_tps"].noisy


def test_wrong_language_is_flagged():
    r = f.run([f.model("m", [f.case([50.0] * 3, lang="zh", lang_share=0.1)])])
    assert "wrong language (asked zh)" in bench_table(r)[0].flags


def test_best_value_per_column_within_a_case():
    rows = bench_table(two_model_run())
    a, b = rows
    assert b.cells["decode_tps"].best and not a.cells["decode_tps"].best  # 60.5 > 50.5 tok/s
    assert a.cells["score"].best and not b.cells["score"].best  # 70 > 40
    assert a.cells["memory"].best  # lower is better
    assert b.cells["cold_load_s"].best
    assert not a.cells["lang_share"].best and not b.cells["lang_share"].best  # equal: nothing is best


# -- compare ----------------------------------------------------------------------------------


def test_noise_level_differences_are_not_regressions():
    base = two_model_run()
    cand = two_model_run(a_decode=(48.0, 49.5, 50.0), b_decode=(61.0, 59.0, 60.0), run_id="20250102-000000-bbbb",
                         a_scores=(68.0, 68.0, 68.0))
    cmp = compare_runs(base, cand)
    assert not cmp.regressed
    verdicts = {(c.model, d.metric): d.verdict for c in cmp.cases for d in c.deltas}
    assert verdicts[("smol-a:latest", "decode_tps")] == "noise"  # −2 % < 10 %
    assert verdicts[("smol-a:latest", "score")] == "noise"  # −2 points < 5


def test_injected_speed_regression_is_found():
    base = two_model_run()
    cand = two_model_run(a_decode=(40.0, 40.5, 40.2), run_id="20250102-000000-bbbb")
    cmp = compare_runs(base, cand)
    assert cmp.regressed
    (c, d), = cmp.regressions
    assert (c.model, c.case, d.metric) == ("smol-a:latest", "small/en", "decode_tps")
    assert d.change == pytest.approx(40.2 / 50.5 - 1)
    assert d.allowed == pytest.approx(0.10)


def test_a_drop_within_the_observed_spread_is_noise():
    # baseline runs spread 30 %: a 20 % lower median is within the noise
    base = two_model_run(a_decode=(42.0, 50.0, 57.0))
    cand = two_model_run(a_decode=(38.0, 40.0, 45.0), run_id="20250102-000000-bbbb")
    d = next(d for d in compare_runs(base, cand).cases[0].deltas if d.metric == "decode_tps")
    assert d.verdict == "noise" and d.noise == pytest.approx(0.30) and d.allowed == pytest.approx(0.30)


def test_quality_regressions_score_language_invented():
    base = two_model_run()
    worse = two_model_run(a_scores=(60.0, 60.0, 60.0), run_id="20250102-000000-bbbb")
    (c, d), = compare_runs(base, worse).regressions
    assert d.metric == "score" and d.change == pytest.approx(-10.0)

    zh_base = f.run([f.model("m", [f.case([50.0] * 3, lang="zh", lang_share=0.9)])])
    zh_cand = f.run([f.model("m", [f.case([50.0] * 3, lang="zh", lang_share=0.2)])], "20250102-000000-bbbb")
    cmp = compare_runs(zh_base, zh_cand)
    assert {d.metric for _, d in cmp.regressions} >= {"lang_share"}
    assert "no longer written in zh" in cmp.cases[0].notes

    inv = f.run([f.model("m", [f.case([50.0] * 3, invented=2)])], "20250102-000000-bbbb")
    assert "invented" in {d.metric for _, d in compare_runs(f.run([f.model("m", [f.case([50.0] * 3)])]), inv).regressions}


def test_improvements_are_marked_and_not_gated():
    base = two_model_run()
    cand = two_model_run(a_decode=(70.0, 70.5, 70.2), run_id="20250102-000000-bbbb")
    cmp = compare_runs(base, cand)
    assert not cmp.regressed
    assert any(d.verdict == "improved" and d.metric == "decode_tps" for d in cmp.cases[0].deltas)
    assert "✅" in compare_markdown(cmp)


def test_memory_and_cold_load_are_compared_once_per_model():
    base = f.run([f.model("m", [f.case([50.0] * 3), f.case([50.0] * 3, lang="zh")])])
    cand = f.run([f.model("m", [f.case([50.0] * 3), f.case([50.0] * 3, lang="zh")], memory=400_000_000)], "x")
    cmp = compare_runs(base, cand)
    assert [d.metric for _, d in cmp.regressions] == ["memory"]


def test_one_model_each_with_different_names_is_an_a_b_comparison():
    base = f.run([f.model("report:v1", [f.case([50.0] * 3)])])
    cand = f.run([f.model("report:v2", [f.case([30.0] * 3)])], "x")
    cmp = compare_runs(base, cand)
    assert cmp.cases[0].model == "report:v1" and cmp.cases[0].candidate_model == "report:v2"
    assert cmp.regressed


def test_nothing_in_common_is_a_usage_error():
    base = two_model_run()
    cand = f.run([f.model("other", [f.case([50.0] * 3, prompt="large")])], "x")
    with pytest.raises(UsageError):
        compare_runs(base, cand)


def test_thresholds_from_assignments_and_files(tmp_path):
    t = parse_threshold_assignments(["decode_tps=5%", "memory=off", "language=false", "score=2"])
    assert (t.decode_tps, t.memory, t.language, t.score) == (0.05, None, False, 2.0)
    with pytest.raises(UsageError):
        parse_threshold_assignments(["speed=1"])
    with pytest.raises(UsageError):
        parse_threshold_assignments(["decode_tps=fast"])
    p = tmp_path / "modelkit.toml"
    p.write_text("[targets.x]\n[bench]\nrepeat = 2\n[bench.thresholds]\ndecode_tps = 0.2\nmemory = false\n")
    t = load_thresholds(str(p))
    assert t.decode_tps == 0.2 and t.memory is None and t.score == Thresholds().score
    (tmp_path / "t.toml").write_text("[thresholds]\nscore = 1\n")
    assert load_thresholds(str(tmp_path / "t.toml")).score == 1
    (tmp_path / "bad.toml").write_text("[thresholds]\nspeed = 1\n")
    with pytest.raises(UsageError):
        load_thresholds(str(tmp_path / "bad.toml"))


# -- the compare command on saved files ------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    d = tmp_path / "runs"
    base = store.save_run(two_model_run(run_id="20250101-000000-aaaa"), d)
    noise = store.save_run(two_model_run(a_decode=(49.0, 50.0, 51.5), run_id="20250102-000000-bbbb"), d)
    regress = store.save_run(two_model_run(a_decode=(40.0, 40.5, 40.2), run_id="20250103-000000-cccc"), d)
    return d, base, noise, regress


def test_compare_cli_exits_3_on_a_regression_and_0_on_noise(saved):
    d, base, noise, regress = saved
    r = run_cli(["compare", str(base), str(noise), "--format", "markdown"])
    assert r.code == 0, r.err
    assert "✅ no regression beyond noise" in r.out and "| smol-a:latest | small/en |" in r.out

    r = run_cli(["compare", str(base), str(regress), "--format", "markdown"])
    assert r.code == EXIT_REGRESSION, r.err
    assert "❌ 1 regression" in r.out and "**Regressions**" in r.out
    assert "decode tok/s" in r.err and "-20.4%" in r.err

    r = run_cli(["compare", str(base), str(regress), "--no-gate"])
    assert r.code == 0


def test_compare_cli_run_ids_latest_and_thresholds(saved, tmp_path):
    d, *_ = saved
    env = {"MODELKIT_BENCH_DIR": str(d)}
    r = run_cli(["compare", "20250101", "latest", "--json"], env=env)
    assert r.code == EXIT_REGRESSION
    data = json.loads(r.out)
    assert data["regressed"] and data["candidate"]["id"] == "20250103-000000-cccc"

    r = run_cli(["compare", "latest~2", "latest", "--threshold", "decode_tps=0.25"], env=env)
    assert r.code == 0, r.err
    out = tmp_path / "summary.md"
    r = run_cli(["compare", "latest~2", "latest~1", "-f", "markdown", "-o", str(out)], env=env)
    assert r.code == 0 and out.read_text().startswith("### modelkit compare")
    r = run_cli(["compare", "latest~2", "latest", "-f", "csv"], env=env)
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert any(x["metric"] == "decode_tps" and x["verdict"] == "regression" for x in rows)

    th = tmp_path / "th.toml"
    th.write_text("[bench.thresholds]\ndecode_tps = 0.5\n")
    assert run_cli(["compare", "latest~2", "latest", "--thresholds", str(th)], env=env).code == 0


def test_compare_cli_reads_thresholds_from_the_project(saved, tmp_path):
    d, base, _, regress = saved
    (tmp_path / "modelkit.toml").write_text("[bench.thresholds]\ndecode_tps = 0.5\n")
    r = run_cli(["compare", str(base), str(regress), "--project", str(tmp_path)])
    assert r.code == 0, r.err


def test_compare_cli_bad_references_are_usage_errors(saved, tmp_path):
    d, base, *_ = saved
    r = run_cli(["compare", str(base), "nope"], env={"MODELKIT_BENCH_DIR": str(d)})
    assert r.code == EXIT_USAGE and "no benchmark run or file 'nope'" in r.err and "Traceback" not in r.err
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}')
    r = run_cli(["compare", str(base), str(junk)])
    assert r.code == EXIT_USAGE and "not a modelkit benchmark result" in r.err
    assert run_cli(["compare", str(base), str(base), "--threshold", "x=1"]).code == EXIT_USAGE


# -- formats ----------------------------------------------------------------------------------


def test_bench_formats_render_a_saved_run(saved, tmp_path):
    d, base, *_ = saved
    run = store.read_run(base)
    md = render(run, "markdown")
    assert md.startswith("### Report benchmark")
    assert "| smol-b:latest | small/en |" in md and "**60.5**" in md  # best decode in bold
    rows = list(csv.DictReader(io.StringIO(render(run, "csv"))))
    assert [r["model"] for r in rows] == ["smol-a:latest", "smol-b:latest"]
    assert float(rows[1]["decode_tps"]) == pytest.approx(60.5)
    assert json.loads(render(run, "json"))["id"] == run.id
    html = render(run, "html")
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 4
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "").replace(run.host, "")
    assert "<script" not in html and "https://" not in html


def test_bench_cli_from_a_saved_run_in_every_format(saved, tmp_path):
    d, base, *_ = saved
    for fmt in ("table", "markdown", "json", "csv", "html"):
        r = run_cli(["bench", "--from", str(base), "--format", fmt])
        assert r.code == 0, (fmt, r.err)
        assert "smol-b:latest" in r.out
    r = run_cli(["bench", "--from", str(base)])
    assert "Speed" in r.out and "Report quality" in r.out and "★" in r.out
    out = tmp_path / "report.html"
    assert run_cli(["bench", "--from", str(base), "-f", "html", "-o", str(out)]).code == 0
    assert "<svg" in out.read_text()


def test_bench_cli_usage_errors(tmp_path):
    r = run_cli(["bench"])
    assert r.code == EXIT_USAGE and "name the models" in r.err
    r = run_cli(["bench", "m", "--set", "a=1"])
    assert r.code == EXIT_USAGE and "--targets" in r.err
    (tmp_path / "modelkit.toml").write_text("[bench]\nrepet = 2\n")
    r = run_cli(["bench", "m", "--project", str(tmp_path), "--from", "x"])
    assert r.code == EXIT_USAGE and "repet" in r.err


def test_too_noisy_to_gate_is_said():
    base = two_model_run(a_decode=(20.0, 50.0, 70.0))
    cand = two_model_run(a_decode=(30.0, 35.0, 40.0), run_id="x")
    cmp = compare_runs(base, cand)
    assert not cmp.regressed
    assert any("too noisy to gate" in n for n in cmp.cases[0].notes)
    assert "too noisy to gate" in compare_markdown(cmp)


def test_a_cold_load_as_fast_as_a_warm_one_is_flagged():
    r = f.run([f.model("m", [f.case([50.0] * 3)], cold=0.03)])  # warm load_s is 0.02 in the factory
    assert any("cold load looks warm" in x for x in bench_table(r)[0].flags)
    assert not any("cold load" in x for x in bench_table(f.run([f.model("m", [f.case([50.0] * 3)])]))[0].flags)
