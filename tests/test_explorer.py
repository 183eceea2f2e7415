"""The graph explorer: the replayed backward pass, grouping, layout, the page's HTML, and
the page itself driven in headless Chromium (skipped, saying how to install one, without
Playwright and a ``chromium``)."""

import json
import re

import numpy as np
import pytest

import minigrad
from minigrad.tools import explorer
from minigrad.tools.cli import example_graph, main
from tests.browser import Browser, browser_missing, screenshot

EXAMPLES = [(b, mlp) for b in minigrad.BACKENDS for mlp in (False, True)]
IDS = [f"{b}-{'mlp' if mlp else 'neuron'}" for b, mlp in EXAMPLES]


def digits_loss():
    """A digits MLP 64-32-16-10 on one sample in the scalar engine: 5,627 nodes."""
    S = minigrad.backend("scalar")
    X, _, y, _ = minigrad.load_digits()
    model = S.MLP(64, [32, 16, 10], seed=0)
    loss = S.cross_entropy_loss(model(X[0]), int(y[0]))
    loss.backward()
    return loss


def has_grad(node):
    return not hasattr(node, "requires_grad") or node.requires_grad


# -- without a browser ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend, mlp", EXAMPLES, ids=IDS)
def test_replay_equals_grad_after_one_backward(backend, mlp):
    root = example_graph(backend, mlp)
    nodes, grads, steps, terms = explorer.replay(root)
    assert nodes == explorer.graph_nodes(root)
    assert steps == sorted(steps, reverse=True)  # backward's order: newest node first
    assert steps[0] == len(nodes) - 1 and float(np.asarray(grads[-1])) == 1.0
    for node, g in zip(nodes, grads):
        if has_grad(node):
            np.testing.assert_array_equal(np.asarray(g), np.asarray(node.grad))
        else:
            assert g is None
    assert {i for i, g in enumerate(grads) if g is not None} == set(steps)


def test_the_page_says_when_grad_has_accumulated(tmp_path):
    root = example_graph("scalar")
    root.backward()  # a second pass: every .grad is now twice one pass's gradient
    nodes, grads, _, _ = explorer.replay(root)
    assert grads[0] == nodes[0].grad / 2
    text = explorer.explore(root, tmp_path / "g.html").read_text()
    differ = sum(n.grad != g for n, g in zip(nodes, grads))
    assert differ == 9  # w2.grad = x2 * ... = 0 stays equal
    assert ".grad differs at 9 nodes: .grad adds up over every backward() call" in text
    fresh = explorer.explore(example_graph("scalar"), tmp_path / "f.html").read_text()
    assert "They equal every node&#x27;s .grad." in fresh


@pytest.mark.parametrize("backend, mlp", EXAMPLES, ids=IDS)
def test_the_page_is_self_contained(tmp_path, backend, mlp):
    path = tmp_path / "graph.html"
    assert minigrad.explore(example_graph(backend, mlp), path) == path
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|fetch\(|XMLHttpRequest", text)
    assert set(re.findall(r"url\((.)", text)) <= {"#"}  # only references inside the page
    assert set(re.findall(r"https?://[^\s\"'<]+", text)) == {"http://www.w3.org/2000/svg"}
    n = len(explorer.graph_nodes(example_graph(backend, mlp)))
    assert len(re.findall(r'<g class="mg-node[^"]*" data-node="\d+"', text)) == n
    for word in ("Step", "Back", "Run all", "Reset"):
        assert f">{word}</button>" in text


def test_the_notebook_object_and_bad_input():
    shown = minigrad.explore(example_graph("tensor"))
    frame = shown._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in frame
    assert 'sandbox="allow-scripts"' in frame
    with pytest.raises(TypeError, match="Value or a Tensor"):
        minigrad.explore(3.0)
    with pytest.raises(TypeError, match="Value or a Tensor"):
        minigrad.explore([example_graph("scalar")])


def test_a_big_graph_is_grouped_by_neuron():
    loss = digits_loss()
    nodes = explorer.graph_nodes(loss)
    assert len(nodes) == 5627
    view = explorer.build_view(nodes)
    groups = [item for item in view["items"] if item[0] == "group"]
    assert view["grouped"] and len(view["items"]) == 60
    # 32 + 16 + 10 neurons (the target logit keeps its shift) and the softmax
    assert sorted(len(g[1]) for g in groups) == [21] + [34] * 9 + [35] + [67] * 16 + [131] * 32
    seen = set()
    for _, members, out in groups:
        assert not seen & set(members)
        seen |= set(members)
        assert out == max(members)  # every member is an ancestor of the group's output
    # an edge leaves a group only from its output, so the boxes keep creation order
    for a, b in view["edges"]:
        assert view["column"][a] < view["column"][b]
    assert not explorer.build_view(nodes, group=False)["grouped"]


@pytest.mark.parametrize("backend, mlp", EXAMPLES, ids=IDS)
def test_layout_runs_left_to_right(backend, mlp):
    view = explorer.build_view(explorer.graph_nodes(example_graph(backend, mlp)))
    col = view["column"]
    assert all(col[a] < col[b] for a, b in view["edges"])
    assert col[view["item_of"][-1]] == max(col)  # the root is rightmost
    boxes = list(zip(view["x"], view["y"], view["w"], view["h"]))
    for k, (x, y, w, h) in enumerate(boxes):  # inside the picture, and no two overlap
        assert 0 <= x and x + w <= view["width"] and 0 <= y and y + h <= view["height"]
        for x2, y2, w2, h2 in boxes[k + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y


def test_draw_svg_and_html_need_no_graphviz(tmp_path, monkeypatch):
    import shutil
    import sys

    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    root = example_graph("tensor", mlp=True)
    svg = minigrad.draw(root, tmp_path / "g.svg").read_text()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg.count('class="mg-node') == 10 and "<script" not in svg
    assert "grad [-1.649]" in svg and "no grad" in svg  # .grad, and a tensor needing none
    assert minigrad.draw(root, tmp_path / "g.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["draw", "-o", str(tmp_path / "cli.svg")]) == 0
    assert (tmp_path / "cli.svg").read_text().startswith("<svg")


def test_draw_compare_writes_both_engines(tmp_path, capsys):
    path = tmp_path / "both.html"
    assert main(["draw", "--compare", "-o", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"scalar 22 nodes, [\d.]+ µs per backward; tensor 10 nodes", out)
    text = path.read_text()
    assert text.count('<section class="mg-explorer') == 2
    assert "scalar engine: 22 nodes" in text and "tensor engine: 10 nodes" in text
    assert main(["draw", "--compare", "-o", str(tmp_path / "both.svg")]) == 2


# -- in a real browser ---------------------------------------------------------------------------

MISSING = browser_missing()
needs_browser = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


def shown_grads(page):
    return dict(page.grads())


def assert_grads_match(nodes, shown):
    for i, value in shown.items():
        np.testing.assert_allclose(
            np.asarray(value, dtype=np.float64), np.asarray(nodes[i].grad), rtol=0, atol=1e-12
        )


@needs_browser
@pytest.mark.parametrize("backend, mlp", EXAMPLES, ids=IDS)
def test_stepping_the_backward_pass_in_a_browser(browser, tmp_path, backend, mlp):
    root = example_graph(backend, mlp)
    nodes, _, steps, _ = explorer.replay(root)
    page = browser.open(minigrad.explore(root, tmp_path / "graph.html"))
    try:
        assert page.count("[data-node]") == len(nodes)
        assert shown_grads(page) == {}
        page.click("Step")
        assert list(shown_grads(page)) == [steps[0]]  # the root, gradient 1
        page.click("Step")
        assert sorted(shown_grads(page)) == sorted(steps[:2])
        page.click("Back")
        assert list(shown_grads(page)) == [steps[0]]
        page.page.keyboard.press("ArrowRight")
        assert len(shown_grads(page)) == 2
        page.page.keyboard.press("ArrowLeft")
        assert len(shown_grads(page)) == 1
        for k in range(2, len(steps) + 1):  # one more gradient per Step, to the end
            page.click("Step")
            assert len(shown_grads(page)) == k
        shown = shown_grads(page)
        assert sorted(shown) == sorted(steps)
        assert_grads_match(nodes, shown)
        page.click("Step")  # past the end: nothing changes
        assert shown_grads(page) == shown
        page.click("Reset")
        assert shown_grads(page) == {}
        page.click("Run all")
        assert shown_grads(page) == shown
        assert f"step {len(steps)} of {len(steps)}" in page.page.inner_text(".mg-status")
        assert page.errors == [] and page.requests == []
    finally:
        page.close()


@needs_browser
def test_the_sum_that_made_a_gradient_is_shown(browser, tmp_path):
    root = example_graph("scalar")  # tanh(x1*w1 + x2*w2 + b)
    page = browser.open(minigrad.explore(root, tmp_path / "graph.html"))
    try:
        for _ in range(2):  # tanh (1), then its input: local 1 - tanh^2 = 0.5
            page.click("Step")
        formula = page.page.inner_text(".mg-formula")
        assert "0.5 × 1 = 0.5" in formula and "grad = 0.5" in formula
        assert page.count(".mg-edge.carry") == 1  # the edge into tanh carried it
        page.click("Run all")
        page.page.click('[data-node="0"]')  # x1: 2 * ... used once, by x1*w1
        assert "grad = -1.5" in page.page.inner_text(".mg-panel")
        assert page.errors == []
    finally:
        page.close()


@needs_browser
def test_a_screenshot_of_the_page_is_not_blank(browser, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    html_path = minigrad.explore(example_graph("scalar"), tmp_path / "graph.html")
    png = tmp_path / "shot.png"
    assert (
        screenshot(html_path, png, steps=6, browser=browser) == []
    )  # the code path of the README's picture
    image = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    assert image.shape[0] > 300 and image.shape[1] > 600
    background = np.median(image.reshape(-1, 3), axis=0)
    differs = np.abs(image - background).sum(axis=2) > 30
    assert differs.mean() > 0.02  # boxes, text and edges, not an empty page
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50
    orange = (image[..., 0] > 200) & (image[..., 1] < 120) & (image[..., 2] < 60)
    assert orange.sum() > 100  # revealed gradients and the highlighted edge are drawn


@needs_browser
@pytest.mark.slow
def test_a_big_graph_in_a_browser(browser, tmp_path):
    loss = digits_loss()
    nodes = explorer.graph_nodes(loss)
    path = minigrad.explore(loss, tmp_path / "digits.html")
    page = browser.open(path)
    try:
        assert page.count("[data-group]") == 59 and page.count("svg [data-node]") == 1
        page.click("Step")
        assert list(shown_grads(page)) == [len(nodes) - 1]
        page.click("Run all")
        page.click("Fit")
        page.page.click('[data-group="0"]')  # a neuron: its nodes and their gradients
        shown = shown_grads(page)
        assert len(shown) > 20
        assert_grads_match(nodes, shown)
        # all revealed: the softmax group shows the gradient of its output, log(sum exp) = 1
        box = page.page.text_content('[data-group="0"]')
        assert "grad 1" in box and "grads" not in box
        assert page.errors == [] and page.requests == []
    finally:
        page.close()


@needs_browser
def test_the_compare_page_in_a_browser(browser, tmp_path):
    path = tmp_path / "both.html"
    assert main(["draw", "--compare", "-o", str(path)]) == 0
    page = browser.open(path)
    try:
        page.click("Run all", 0)
        assert page.count("[data-grad]") == 22
        page.click("Run all", 1)
        assert page.count("[data-grad]") == 22 + 8
        page.click("Back", 1)
        assert page.count("[data-grad]") == 22 + 7
        assert page.errors == [] and page.requests == []
    finally:
        page.close()


def test_data_grad_is_json_of_the_gradient():
    # the page writes data-grad with JSON.stringify of the numbers this payload holds
    data, _, _ = explorer._payload(example_graph("tensor", mlp=True))
    for g in data["grad"]:
        assert g is None or json.loads(json.dumps(g)) == g


@needs_browser
def test_the_notebook_frame_runs_in_a_browser(browser, tmp_path):
    # what Jupyter and VS Code do with _repr_html_: put it in their page as it is
    host = tmp_path / "notebook.html"
    host.write_text(
        f"<!DOCTYPE html><body>{minigrad.explore(example_graph('scalar'))._repr_html_()}"
    )
    page = browser.open(host)
    try:
        frame = page.page.frame_locator("iframe")
        assert frame.locator("[data-node]").count() == 10
        # a frame without a size yet starts its explorer once it has one (explorer.js)
        frame.locator("html[data-mg-started]").wait_for(state="attached")
        frame.get_by_role("button", name="Step", exact=True).click()
        frame.get_by_role("button", name="Step", exact=True).click()
        assert frame.locator("[data-grad]").count() == 2
        assert page.errors == [] and page.requests == []
    finally:
        page.close()
