"""Headless Chromium for the explorer's tests, and the README's screenshot.

The tests drive Debian's ``chromium`` through Playwright (``pip install -e ".[browser]"``; the
browser itself comes from ``apt-get install chromium``, never from ``playwright install``).
``browser_missing()`` says why they cannot run, or returns ``None``; ``Page`` opens a file
and records console errors and every network request; ``screenshot`` is the one code path
that takes the README's picture (``python -m tests.browser`` retakes it).
"""

import os
import shutil
import sys
from pathlib import Path

INSTALL = (
    "the browser tests need Playwright and Chromium: pip install -e '.[browser]'; "
    "apt-get install chromium (Debian/Ubuntu; never `playwright install`)"
)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_missing():
    """Why the browser tests cannot run here (with how to fix it), or ``None``."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: " + INSTALL
    if chromium_path() is None:
        return "no chromium on PATH: " + INSTALL
    return None


class Browser:
    """One headless Chromium; ``open(path)`` gives a ``Page`` on a local file."""

    def __init__(self):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=chromium_path(), headless=True, args=ARGS
            )
        except Exception:
            self._pw.stop()
            raise

    def open(self, path, width=1400, height=900):
        return Page(self._browser, path, width, height)

    def close(self):
        self._browser.close()
        self._pw.stop()


class Page:
    """A page on ``path``, with ``errors`` (console errors, uncaught exceptions) and
    ``requests`` (every URL fetched other than the file itself)."""

    def __init__(self, browser, path, width, height):
        self.url = Path(path).resolve().as_uri()
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.errors, self.requests = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "request", lambda r: self.requests.append(r.url) if r.url != self.url else None
        )
        self.page.goto(self.url, wait_until="load")

    def click(self, name, index=0):
        self.page.get_by_role("button", name=name, exact=True).nth(index).click()

    def grads(self):
        """``{data-node: data-grad}`` of every element that shows a gradient."""
        return self.page.eval_on_selector_all(
            "[data-grad]",
            "els => els.map(e => [+e.dataset.node, JSON.parse(e.dataset.grad)])",
        )

    def count(self, selector):
        return self.page.locator(selector).count()

    def close(self):
        self.context.close()


def screenshot(html_path, png_path, steps=6, width=1400, height=800, browser=None):
    """Open the explorer at ``html_path``, Step ``steps`` times and save a screenshot to
    ``png_path``; returns the console errors seen. Used by the tests and for the README.
    ``browser``: a running ``Browser`` (Playwright's sync API allows one per thread)."""
    own = browser is None
    browser = Browser() if own else browser
    try:
        page = browser.open(html_path, width, height)
        for _ in range(steps):
            page.click("Step")
        page.page.screenshot(path=str(png_path))
        errors = list(page.errors)
        page.close()
        return errors
    finally:
        if own:
            browser.close()


def readme_screenshot(out="docs/img/explorer.png"):
    """The README's picture: micrograd's neuron in the scalar engine, six Steps in."""
    import tempfile

    import minigrad
    from minigrad.tools.cli import example_graph

    with tempfile.TemporaryDirectory() as tmp:
        html_path = os.path.join(tmp, "graph.html")
        minigrad.explore(example_graph("scalar"), html_path)
        errors = screenshot(html_path, out, steps=6, width=1300, height=640)
    if errors:
        raise RuntimeError(f"the page logged errors: {errors}")
    return out


if __name__ == "__main__":
    print(readme_screenshot(*sys.argv[1:]))
