"""Open the HTML report in headless Chromium: it renders, shows the summary table, logs no console
messages, and a <script> injected through a model response never runs.

Needs Debian's `chromium` (.ci/run installs it); skipped with a reason when the binary is absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from test_reports import XSS, build_run, write_paper_dir

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium; "
                                                          ".ci/run installs it): browser tests skipped")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio",
         "--enable-logging=stderr", "--v=0"]
# Chromium prints every console message of a page as `...:INFO:CONSOLE:<line>] "<text>", source: <url> (<line>)`.
CONSOLE = re.compile(r":CONSOLE(?::\d+)?\]\s*\"(?P<msg>.*)\", source: (?P<src>\S*)")


def chromium(url: str, tmp: Path, *extra: str, timeout: int = 120) -> subprocess.CompletedProcess:
    profile = tmp / "profile"
    profile.mkdir(parents=True, exist_ok=True)
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, url],
                          capture_output=True, text=True, timeout=timeout)


def console_messages(stderr: str, page: Path) -> list[str]:
    """Console messages whose source is the page (the browser's own D-Bus/GPU noise is ignored)."""
    url = page.resolve().as_uri()
    return [m.group(0) for m in CONSOLE.finditer(stderr) if m.group("src").startswith(url) or not m.group("src")]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("browser") / "tiny"
    index, *_ = build_run(d, model="tiny", protocol="unified")
    return index


def test_console_detector_sees_page_errors(tmp_path):
    """The check below is only worth something if it catches a page's errors: a positive control."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><head><title>x</title></head><body><p>x</p>"
                    "<script>console.error('boom'); throw new Error('bang');</script></body></html>")
    proc = chromium(page.as_uri(), tmp_path, "--dump-dom")
    msgs = console_messages(proc.stderr, page)
    assert any("boom" in m for m in msgs) and any("bang" in m for m in msgs), proc.stderr[-2000:]


def test_report_renders_without_running_injected_script(report, tmp_path):
    from PIL import Image

    html = report.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html and XSS not in html

    # 1. the DOM after load: our own inline script ran, the injected ones did not
    proc = chromium(report.as_uri(), tmp_path, "--dump-dom")
    dom = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'id="summary-table"' in dom
    assert 'data-report-js="ok"' in dom, "the report's own script did not run (JavaScript disabled?)"
    assert 'data-pwned="1"' not in dom and 'data-pwned-img="1"' not in dom, "injected script ran"
    assert "<title>PWNED" not in dom and "<title>Diagnostic report" in dom
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in dom  # shown as text
    assert not re.search(r"<img[^>]*src=\"x\"", dom)
    summary_rows = re.search(r'<table class="data" id="summary-table">.*?</table>', dom, re.S).group(0)
    assert summary_rows.count("<tr") == 1 + 14  # header + 11 benchmarks + 3 averages
    assert console_messages(proc.stderr, report) == []

    # 2. the picture: a real page, not a blank one
    shot = tmp_path / "report.png"
    proc = chromium(report.as_uri(), tmp_path, f"--screenshot={shot}", "--window-size=1280,2000",
                    "--hide-scrollbars")
    assert shot.is_file(), proc.stderr[-2000:]
    assert console_messages(proc.stderr, report) == []
    img = Image.open(shot).convert("RGB")
    assert img.size == (1280, 2000)
    colours = img.resize((320, 500)).getcolors(maxcolors=1_000_000)
    assert len(colours) > 300, f"screenshot looks blank ({len(colours)} colours)"
    white = sum(c for c, rgb in colours if min(rgb) > 245) / (320 * 500)
    assert white < 0.9, f"screenshot is {white:.0%} white"


def test_comparison_page_renders(report, tmp_path):
    from videor2.reports.compare import compare_runs

    other = tmp_path / "tiny-paper"
    shutil.copytree(report.parent, other)
    (other / "run_info.json").write_text('{"model": "tiny", "protocol": "paper"}')
    index = compare_runs([report.parent, other], tmp_path / "cmp",
                         paper_dir=write_paper_dir(tmp_path / "paper"), paper_reference="Video-R2")
    proc = chromium(index.as_uri(), tmp_path, "--dump-dom")
    assert 'id="table-accuracy"' in proc.stdout and "Video-R2 (paper)" in proc.stdout
    assert 'data-report-js="ok"' in proc.stdout
    assert console_messages(proc.stderr, index) == []
