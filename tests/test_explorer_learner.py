"""The explorer as a learner meets it (issue 18): the graph fits on load, a model's
parameters carry their names, a constant operand is drawn, big graphs step a box or a
column at a time and share one box per weight, a weight shows its gradient first as a
matrix with its fused formula, and the page says when backward() has not been called.

The browser tests drive headless Chromium as tests/test_explorer.py does (skipped, saying
how to install one, without Playwright and a ``chromium``)."""

import itertools
import re

import numpy as np
import pytest

import minigrad
from minigrad.tools import explorer, picture
from minigrad.tools.cli import example_graph, main
from tests.browser import browser_missing
from tests.test_explorer import browser  # noqa: F401  (the module's headless Chromium)

MISSING = browser_missing()
needs_browser = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


def tiny_mlp(backend, batch=1, backward=True):
    """The mse loss of ``MLP(2, [2, 1])`` on ``batch`` samples, and the model."""
    B = minigrad.backend(backend)
    model = B.MLP(2, [2, 1], act="tanh", seed=0)
    X = [[2.0, -1.0], [0.5, 3.0]][:batch]
    loss = B.mse_loss(model(X), [[1.0]] * batch)
    if backward:
        loss.backward()
    return loss, model


def digits_batch(backend="scalar", batch=8):
    """The cross-entropy loss of a digits MLP 64-32-16-10 on ``batch`` samples, after
    backward, and the model."""
    B = minigrad.backend(backend)
    X, _, y, _ = minigrad.load_digits()
    model = B.MLP(64, [32, 16, 10], seed=0)
    loss = B.cross_entropy_loss(model(X[:batch]), [int(t) for t in y[:batch]])
    loss.backward()
    return loss, model


def headers(svg):
    """The first line of every box of an SVG the explorer drew."""
    return re.findall(r'<text class="mg-op"[^>]*>([^<]*)</text>', svg)


# -- names (item 7) --------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["scalar", "tensor"])
def test_parameters_carry_their_state_dict_names(backend):
    loss, model = tiny_mlp(backend)
    data, svg, view = explorer._payload(loss, model=model)
    index = {id(n): i for i, n in enumerate(view["nodes"])}
    named = model.named_parameters()
    assert named and all(id(node) in index for _, node in named)
    for name, node in named:
        assert data["name"][str(index[id(node)])] == name
    if backend == "scalar":
        assert "layers.0.weight[0, 1]" in [n for n, _ in named]
    boxes = headers(svg)
    for name, _ in named:
        assert any(h == name or h.startswith(name + " \u00b7 ") for h in boxes), name
    # no leaf is anonymous: a weight, a bias, an input or a constant
    assert not [h for h in boxes if re.match(r"#\d+ leaf", h)], boxes
    static = explorer.to_svg(loss, model=model)
    assert not [h for h in headers(static) if re.match(r"#\d+ leaf", h)]
    dot = minigrad.to_dot(loss, model=model)
    assert "layers.1.bias" in dot


def test_a_weight_and_an_input_of_one_shape_are_told_apart():
    loss, model = tiny_mlp("tensor", batch=2)  # the input is 2x2, as layers.0.weight
    assert np.shape(model.layers[0].weight.data) == (2, 2)
    data, svg, _ = explorer._payload(loss, model=model)
    boxes = headers(svg)
    assert "layers.0.weight \u00b7 2x2" in boxes and "input \u00b7 2x2" in boxes
    assert "constant \u00b7 2x1" in boxes  # the target: no gradient, not an input
    assert {"input", "layers.0.weight"} <= set(data["name"].values())
    dot = minigrad.to_dot(loss, model=model)
    assert "{ input | shape 2x2 |" in dot and "{ layers.0.weight | shape 2x2 |" in dot


def test_names_need_a_model_of_the_graph():
    loss, _ = tiny_mlp("tensor")
    with pytest.raises(TypeError, match="model: expected a minigrad module"):
        explorer._payload(loss, model="layers")
    # a model whose parameters are not in the graph names nothing, and says nothing wrong
    other = minigrad.backend("tensor").MLP(2, [2, 1], seed=1)
    data, svg, _ = explorer._payload(loss, model=other)
    assert not [n for n in data["name"].values() if n.startswith("layers.")]


@pytest.mark.parametrize(
    "make, side, value",
    [
        (lambda x: x + 2, 1, 2.0),
        (lambda x: 2 + x, 1, 2.0),
        (lambda x: x - 2, 1, 2.0),
        (lambda x: 2 - x, 0, 2.0),
        (lambda x: x * 3, 1, 3.0),
        (lambda x: 3 * x, 1, 3.0),
        (lambda x: x / 4, 1, 4.0),
        (lambda x: 4 / x, 0, 4.0),
        (lambda x: x**2, 1, 2.0),
        (lambda x: 2**x, 0, 2.0),
        (lambda x: x**0.5, 1, 0.5),
    ],
)
def test_a_folded_constant_is_read_back_from_its_node(make, side, value):
    S = minigrad.backend("scalar")
    for x in (3.0, 0.7):
        found = picture.folded_constant(make(S.leaf(x)))
        assert found is not None
        assert found[0] == side and found[1] == pytest.approx(value, rel=1e-12)
    assert picture.folded_constant(S.leaf(3.0) * S.leaf(2.0)) is None  # two nodes: no constant
    assert picture.folded_constant(S.leaf(3.0).tanh()) is None
    T = minigrad.backend("tensor")
    assert picture.folded_constant(T.leaf(3.0) - 2) is None  # the constant is a node there


def test_a_constant_operand_is_drawn(B):
    x = B.leaf(3.0, label="x")
    y = x - 2
    y.backward()
    for svg in (explorer.to_svg(y), explorer._payload(y)[1]):
        # a node of its own (tensor), or the number folded into the op (scalar)
        assert re.search(r">constant</text>\s*<text[^>]*>data 2</text>|>constant 2<", svg)
        assert svg.count('class="mg-edge"') == 2  # x -> (-) and 2 -> (-)
    assert re.search(r'label="\{ constant \| (0-d \| )?data 2', minigrad.to_dot(y))


def test_the_inputs_of_a_scalar_mlp_are_drawn_as_inputs():
    loss, model = tiny_mlp("scalar")
    svg = explorer.to_svg(loss, model=model)
    # x = [2, -1] meets each of the two first-layer neurons: four products, four inputs
    assert (
        sorted(h for h in headers(svg) if h.startswith("input"))
        == ["input -1"] * 2 + ["input 2"] * 2
    )
    assert headers(svg).count("constant 1") == 1  # the target of the mse loss


def test_the_cli_names_the_tiny_mlp(tmp_path):
    for backend, name in (("scalar", "layers.0.weight[0, 1]"), ("tensor", "layers.0.weight")):
        path = tmp_path / f"{backend}.svg"
        assert main(["draw", "--mlp", "--backend", backend, "-o", str(path)]) == 0
        assert name in headers(path.read_text()) or f"{name} \u00b7 2x2" in headers(
            path.read_text()
        )
    assert main(["draw", "--compare", "-o", str(tmp_path / "both.html")]) == 0
    both = (tmp_path / "both.html").read_text()
    assert "layers.1.bias[0]" in both and "layers.1.bias \u00b7 1" in both


# -- shared weights at batch 8 (item 8) ----------------------------------------------------


def test_a_weight_shared_by_a_batch_is_one_box():
    loss, model = digits_batch("scalar", 8)
    view = explorer.build_view(explorer.graph_nodes(loss), model=model)
    params = [it for it in view["items"] if it[0] == "params"]
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert sorted(it[2] for it in params) == sorted(shapes)
    for _, members, key in params:
        assert len(members) == int(np.prod(shapes[key]))
    ids = {id(n) for n in model.parameters()}
    lone = [it for it in view["items"] if it[0] == "node" and id(view["nodes"][it[1]]) in ids]
    assert lone == []
    groups = [it for it in view["items"] if it[0] == "group"]
    # a neuron per sample, its softmax, and the mean over the batch
    assert len(groups) == 8 * (32 + 16 + 10 + 1) + 1
    assert len(view["items"]) < 500  # was 3,251 boxes, 2,778 of them single weights
    # without the model the same leaves group by the neuron they feed: one box per neuron
    plain = explorer.build_view(explorer.graph_nodes(loss))
    shared = sorted(len(it[1]) for it in plain["items"] if it[0] == "params")
    assert shared == [17] * 10 + [33] * 16 + [65] * 32


def test_the_batch_8_page_is_small():
    loss, model = digits_batch("scalar", 8)
    page = minigrad.explore(loss, model=model).html
    assert len(page.encode()) < 3_000_000  # was 7.1 MB
    assert page.count('<g class="mg-group') == 8 * 59 + 1 + 6


# -- before backward (item 10) ---------------------------------------------------------------


def test_the_page_says_when_backward_has_not_been_called(B):
    loss, model = tiny_mlp(B.__name__.rsplit(".", 1)[-1], backward=False)
    text = minigrad.explore(loss, model=model).html
    assert "backward() has not been called yet" in text
    assert "differs" not in text
    assert not any(p._has_grad for p in model.parameters())  # drawing gave none a gradient
    loss.backward()
    text = minigrad.explore(loss, model=model).html
    assert "backward() has not been called yet" not in text
    assert "They equal every node&#x27;s .grad." in text


# -- a parent used twice (item 11) -------------------------------------------------------------


def test_a_parent_used_twice_has_two_edges(B):
    a = B.leaf(2.0, label="a")
    b = a + a
    b.backward()
    for svg in (explorer.to_svg(b), explorer._payload(b)[1]):
        assert svg.count('data-edge="0-1"') == 2
        paths = re.findall(r'data-edge="0-1"[^>]* d="([^"]+)"', svg)
        assert len(set(paths)) == 2  # two curves, not one drawn twice


# -- in a browser: fit on load, keep the view (item 6) ------------------------------------------


def box_rects(frame):
    """``[(x, y, width, height, drawn width)]`` of every box of every explorer on the page,
    on screen, grouped by explorer, with each explorer's canvas rectangle."""
    return frame.evaluate(
        """() => [...document.querySelectorAll('.mg-explorer')].map((s) => {
            const c = s.querySelector('.mg-canvas').getBoundingClientRect();
            const boxes = [...s.querySelectorAll('svg .mg-box')].map((b) => {
                const r = b.getBoundingClientRect();
                return [r.left, r.top, r.right, r.bottom, +b.getAttribute('width')];
            });
            return {canvas: [c.left, c.top, c.right, c.bottom], boxes};
        })"""
    )


def assert_fits_legibly(explorers, viewport_height):
    for e in explorers:
        left, top, right, bottom = e["canvas"]
        assert bottom <= viewport_height + 0.5, "the canvas runs below the window"
        assert e["boxes"]
        for x1, y1, x2, y2, width in e["boxes"]:
            assert left - 0.5 <= x1 and x2 <= right + 0.5 and top - 0.5 <= y1 and y2 <= bottom + 0.5
            assert (x2 - x1) / width >= explorer.LEGIBLE - 1e-9


@needs_browser
def test_the_compare_page_shows_both_graphs_at_1280x800(browser, tmp_path):  # noqa: F811
    path = tmp_path / "both.html"
    assert main(["draw", "--compare", "-o", str(path)]) == 0
    page = browser.open(path, 1280, 800)
    try:
        explorers = box_rects(page.page)
        assert len(explorers) == 2
        assert_fits_legibly(explorers, 800)
        assert page.errors == []
    finally:
        page.close()


@needs_browser
@pytest.mark.parametrize("width", [800, 1100])
def test_the_notebook_frame_shows_the_whole_neuron(browser, tmp_path, width):  # noqa: F811
    host = tmp_path / "notebook.html"
    frame_html = minigrad.explore(example_graph("scalar"))._repr_html_()
    host.write_text(f"<!DOCTYPE html><body><div style='width:{width}px'>{frame_html}</div>")
    page = browser.open(host, 1280, 900)
    try:
        frame = page.page.frames[1]
        frame.wait_for_function("document.querySelector('.mg-status').textContent !== ''")
        explorers = box_rects(frame)
        assert len(explorers[0]["boxes"]) == 10
        assert_fits_legibly(explorers, 10_000)
        assert page.errors == []
    finally:
        page.close()


def view_box(page):
    return page.page.get_attribute(".mg-canvas svg", "viewBox")


@needs_browser
def test_run_all_keeps_the_view_the_user_has(browser, tmp_path):  # noqa: F811
    loss, model = tiny_mlp("scalar")
    page = browser.open(minigrad.explore(loss, tmp_path / "g.html", model=model), 1280, 800)
    try:
        canvas = page.page.locator(".mg-canvas").bounding_box()
        page.page.mouse.move(canvas["x"] + canvas["width"] * 0.8, canvas["y"] + 40)
        for _ in range(4):  # zoom in on the right-hand corner: the leaves are out of view
            page.page.mouse.wheel(0, -100)
        page.page.wait_for_timeout(50)
        before = view_box(page)
        page.click("Run all")
        assert view_box(page) == before
        page.click("Reset")
        assert view_box(page) == before
        page.click("Fit")
        assert view_box(page) != before
        assert page.errors == []
    finally:
        page.close()


@needs_browser
@pytest.mark.slow
def test_a_graph_too_big_to_read_whole_opens_on_its_root(browser, tmp_path):  # noqa: F811
    loss, model = digits_batch("scalar", 1)
    page = browser.open(minigrad.explore(loss, tmp_path / "d.html", model=model), 1280, 800)
    try:
        root = page.page.locator(f'[data-node="{len(explorer.graph_nodes(loss)) - 1}"]')
        box = root.locator(".mg-box")
        canvas = page.page.locator(".mg-canvas").bounding_box()
        r = box.bounding_box()
        assert canvas["x"] <= r["x"] and r["x"] + r["width"] <= canvas["x"] + canvas["width"]
        assert r["width"] / float(box.get_attribute("width")) >= explorer.LEGIBLE
    finally:
        page.close()


# -- in a browser: stepping by box and by column (item 8) -------------------------------------


def runs(keys):
    """Lengths of the runs of equal consecutive values in ``keys``."""
    return [len(list(run)) for _, run in itertools.groupby(keys)]


@needs_browser
def test_stepping_a_box_and_a_column_at_a_time(browser, tmp_path):  # noqa: F811
    loss, model = digits_batch("scalar", 2)
    data, _, view = explorer._payload(loss, model=model)
    steps = data["steps"]
    by_box = runs([data["itemOf"][i] for i in steps])
    by_column = runs([view["column"][data["itemOf"][i]] for i in steps])
    assert max(by_box) > 1 and max(by_column) > max(by_box)
    page = browser.open(minigrad.explore(loss, tmp_path / "g.html", model=model), 1280, 800)
    revealed = "step (\\d+) of"
    try:

        def shown():
            return int(re.search(revealed, page.page.inner_text(".mg-status"))[1])

        for k in range(1, 4):
            page.click("Step box")
            assert shown() == sum(by_box[:k])
        page.click("Back")  # undoes the last click: a whole box
        assert shown() == sum(by_box[:2])
        page.click("Step")
        assert shown() == sum(by_box[:2]) + 1
        page.click("Reset")
        for k in range(1, 4):
            page.click("Step column")
            assert shown() == sum(by_column[:k])
        page.click("Run all")
        assert shown() == len(steps)
        assert page.errors == []
    finally:
        page.close()


@needs_browser
@pytest.mark.slow
def test_the_batch_8_page_in_a_browser(browser, tmp_path):  # noqa: F811
    loss, model = digits_batch("scalar", 8)
    nodes = explorer.graph_nodes(loss)
    page = browser.open(minigrad.explore(loss, tmp_path / "b8.html", model=model), 1280, 800)
    try:
        assert page.count("svg [data-group]") == 8 * 59 + 1 + 6
        page.click("Step column")
        page.click("Run all")
        k = page.page.evaluate(
            """() => [...document.querySelectorAll('svg [data-group]')].filter((g) =>
                g.querySelector('.mg-op').textContent.startsWith('layers.2.weight \u00b7 '))
                .map((g) => g.dataset.group)"""
        )
        assert len(k) == 1
        page.click("Fit")
        page.page.click(f'[data-group="{k[0]}"]')
        panel = page.page.inner_text(".mg-panel")
        assert panel.index("grad") < panel.index("data")
        grad = model.grad_dict()["layers.2.weight"]
        first = page.page.inner_text(".mg-panel .mg-matrix").splitlines()[1]
        assert first.split()[0] == picture.number(grad[0, 0])
        assert_grads_of_rows(page, nodes)
        assert page.errors == [] and page.requests == []
    finally:
        page.close()


def assert_grads_of_rows(page, nodes):
    shown = dict(page.grads())
    assert shown
    for i, value in shown.items():
        np.testing.assert_allclose(np.asarray(value), np.asarray(nodes[i].grad), rtol=0, atol=1e-12)


# -- in a browser: a weight's gradient first, as a matrix, with its formula (item 9) ------------


@needs_browser
def test_a_tensor_weight_shows_its_gradient_first_as_a_matrix(browser, tmp_path):  # noqa: F811
    loss, model = digits_batch("tensor", 8)
    nodes = explorer.graph_nodes(loss)
    weight = model.layers[0].weight
    i = next(k for k, n in enumerate(nodes) if n is weight)
    page = browser.open(minigrad.explore(loss, tmp_path / "t.html", model=model), 1280, 800)
    try:
        page.click("Run all")
        page.click("Fit")  # too wide to read whole at 1280 pixels: it opened on its root
        page.page.click(f'[data-node="{i}"]')
        panel = page.page.inner_text(".mg-panel")
        assert "layers.0.weight" in panel
        assert "linear: dW = g\u1d40 x" in panel
        assert panel.index("grad") < panel.index("data")
        matrix = page.page.inner_text(".mg-panel .mg-matrix").splitlines()
        assert matrix[0].startswith("32 x 64")
        grad = np.asarray(weight.grad)
        assert matrix[1].split()[:3] == [picture.number(v) for v in grad[0, :3]]
        assert len(matrix) >= 9  # a row per line
        # the input's gradient names its own formula
        x = next(k for k, n in enumerate(nodes) if not n._prev and np.shape(n.data) == (8, 64))
        page.page.click(f'[data-node="{x}"]')
        assert "backward gives this node no gradient" in page.page.inner_text(".mg-panel")
        bias = next(k for k, n in enumerate(nodes) if n is model.layers[0].bias)
        page.page.click(f'[data-node="{bias}"]')
        assert "linear: db = g summed over the batch" in page.page.inner_text(".mg-panel")
        assert page.errors == []
    finally:
        page.close()
