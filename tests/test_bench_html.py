"""The HTML report opens offline in headless Chromium and its charts render (checked on the PNG)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from modelkit.bench.html import PALETTE, to_html
from tests import bench_factory as f
from tests.png_pixels import count_color, read_png

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "screenshot-report.sh"


def test_html_report_renders_its_charts_in_headless_chromium(tmp_path):
    run = f.run([
        f.model("report:en", [f.case([50.0, 52.0, 51.0], [90.0, 88.0, 91.0]),
                              f.case([30.0, 31.0, 29.0], [20.0, 25.0, 22.0], lang="zh", lang_share=0.1)]),
        f.model("report:zh", [f.case([48.0, 47.0, 49.0], [60.0, 61.0, 62.0]),
                              f.case([47.0, 46.0, 48.0], [85.0, 84.0, 86.0], lang="zh", lang_share=0.95)]),
    ])
    html = tmp_path / "report.html"
    html.write_text(to_html(run), encoding="utf-8")
    png = tmp_path / "report.png"
    out = subprocess.run([str(SCRIPT), str(html), str(png), "1200,760"], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    pixels = read_png(png)
    assert pixels.shape[:2] == (760, 1200)
    # four charts of four bars each, in the two models' colours: thousands of pixels each
    assert count_color(pixels, PALETTE[0]) > 3000, "bars of the first model are not drawn"
    assert count_color(pixels, PALETTE[1]) > 3000, "bars of the second model are not drawn"
    # the top of the page is the charts: the coloured bars sit in the upper part of the screenshot
    assert count_color(pixels[:500], PALETTE[0]) > 0.5 * count_color(pixels, PALETTE[0])


def test_screenshot_script_usage_error():
    out = subprocess.run([str(SCRIPT)], capture_output=True, text=True)
    assert out.returncode == 2 and "usage" in out.stderr
