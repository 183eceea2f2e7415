"""Pictures: ``minigrad.to_dot`` / ``minigrad.draw`` for both engines, and
``minigrad.plot_history``."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.tools import explorer
from minigrad.tools.drawing import escape

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# a node's box (n3), its op (n3_op) and a plain number the op was given (n3_c, the 2 of x - 2)
NODE = re.compile(
    r'^  (n\d+(?:_op|_c)?) \[shape=(record|oval)(?:, style=dashed)?, label="((?:[^"\\]|\\.)*)"'
    r"[^\]]*\];$"
)
EDGE = re.compile(r"^  (n\d+(?:_op|_c)?) -> (n\d+(?:_op)?);$")


def parse_dot(text):
    """Check the structure of ``to_dot``'s output line by line; return (nodes, edges)."""
    lines = text.splitlines()
    assert lines[0] == "digraph minigrad {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if m := NODE.match(line):
            assert m[1] not in nodes, f"node {m[1]} declared twice"
            nodes[m[1]] = m[3]
        elif m := EDGE.match(line):
            edges.append((m[1], m[2]))
        else:
            assert re.match(r"^  (rankdir=\w+|node \[.*\]|edge \[.*\]);$", line), line
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} to an undeclared node"
    return nodes, edges


def neuron(B):
    """micrograd's example neuron tanh(x1*w1 + x2*w2 + b) = 0.7071 after backward."""

    def leaf(x):
        return B.Value(x) if B.__name__ == "minigrad.scalar" else B.Tensor(x, requires_grad=True)

    x1, x2, w1, w2, b = (leaf(v) for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432))
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.backward()
    return out


def test_to_dot_of_a_neuron_shows_ops_values_and_grads(B):
    text = minigrad.to_dot(neuron(B))
    nodes, edges = parse_dot(text)
    values = {k: v for k, v in nodes.items() if not k.endswith("_op")}
    ops = sorted(v for k, v in nodes.items() if k.endswith("_op"))
    assert len(values) == 10
    assert ops == ["*", "*", "+", "+", "tanh"]
    labels = "\n".join(values.values())
    assert "data 0.7071" in labels  # the output
    assert "data 0.8814" in labels  # its input, tanh^-1(1/sqrt 2)
    assert "grad -1.5" in labels  # x1.grad = w1 * (1 - 0.5)
    assert "grad 1 " in labels or "grad 1 }" in labels  # d out / d out
    # each op node feeds exactly one value node and is fed by that node's parents
    for k in nodes:
        if k.endswith("_op"):
            assert [b for a, b in edges if a == k] == [k[:-3]]
            assert len([a for a, b in edges if b == k]) == 2 or nodes[k] == "tanh"
    assert len(edges) == 5 + 2 + 2 + 2 + 2 + 1  # op -> value, then the parents' edges


def test_to_dot_of_a_tensor_mlp_shows_shapes_and_summaries():
    T = minigrad.backend("tensor")
    model = T.MLP(3, [4, 2], act="relu", seed=0)
    x = T.Tensor(np.arange(6.0).reshape(2, 3))
    loss = T.mse_loss(model(x), np.zeros((2, 2)))
    loss.backward()
    nodes, _ = parse_dot(minigrad.to_dot(loss))
    labels = list(nodes.values())
    assert "linear" in labels and "relu" in labels
    assert any(label.startswith("{ shape 4x3 | data mean ") and "| grad mean" in label
               for label in labels)  # fmt: skip
    assert "{ constant | shape 2x3 | data [[0, 1, 2], [3, 4, 5]] | no grad }" in labels  # input
    named = minigrad.to_dot(loss, model=model)  # with the model: its parameters' names
    assert "{ input | shape 2x3 | data [[0, 1, 2], [3, 4, 5]] | no grad }" in named
    assert "{ layers.0.weight | shape 4x3 | data mean " in named
    grad_b = model.layers[1].bias.grad  # 2 numbers: shown in full
    assert any(f"| grad [{grad_b[0]:.4g}, {grad_b[1]:.4g}] }}" in label for label in labels)


def test_to_dot_is_deterministic_and_leaves_the_graph_alone(B):
    out = neuron(B)
    text = minigrad.to_dot(out)
    assert minigrad.to_dot(out) == text
    assert minigrad.to_dot(neuron(B)) == text  # a fresh identical graph: the same text
    assert float(np.asarray(out.grad)) == 1.0
    out.backward()  # backward still works after drawing, and accumulates as usual
    assert float(np.asarray(out.grad)) == 2.0


def test_to_dot_of_a_list_of_outputs_and_bad_input():
    S = minigrad.backend("scalar")
    layer = S.Layer(2, 3, act="tanh", seed=0)
    outs = layer([1.0, 2.0])
    nodes, _ = parse_dot(minigrad.to_dot(outs))
    assert sum(label == "tanh" for label in nodes.values()) == 3
    with pytest.raises(TypeError, match="Value or a Tensor"):
        minigrad.to_dot(3.0)
    with pytest.raises(ValueError, match="empty"):
        minigrad.to_dot([])


def test_to_dot_of_a_deep_chain(B):
    if B.__name__ == "minigrad.scalar":
        x = B.Value(1.0)
    else:
        x = B.Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    nodes, edges = parse_dot(minigrad.to_dot(y))
    ops = [k for k in nodes if k.endswith("_op")]
    assert len(ops) == 10_000
    # the tensor engine makes the constant a node; the scalar engine folds it into the op,
    # and the drawing shows it all the same
    assert len(nodes) == 10_001 + 10_000 + 10_000
    assert len(edges) == 20_000 + 10_000
    assert sum(label.startswith("{ constant | ") for label in nodes.values()) == 10_000
    assert "data 1 " in minigrad.to_dot(x * 1.0)  # the number itself


def test_the_drawing_and_the_explorer_write_values_alike():
    # one formatter for both: the explorer once wrote [0, 1, 2, 3] where the drawing wrote
    # [[0, 1], [2, 3]], "mean 3 [1, 5]" for five numbers, and 0 where the drawing wrote -0
    T, S = minigrad.backend("tensor"), minigrad.backend("scalar")
    x, v = T.leaf([[0.0, 1.0], [2.0, 3.0]]), T.leaf([1.0, 2.0, 3.0, 4.0, 5.0])
    tensor_out = (x.sum() * v).sum()
    tensor_out.backward()
    scalar_out = S.leaf(-0.0) * 2.0
    scalar_out.backward()
    expected = {
        tensor_out: ["data [[0, 1], [2, 3]]", "data [1, 2, 3, 4, 5]", "grad [6, 6, 6, 6, 6]",
                     "grad 1", "data 6"],
        scalar_out: ["data 0", "grad 2"],
    }  # fmt: skip
    for root, texts in expected.items():
        dot, svg = minigrad.to_dot(root), explorer.to_svg(root)
        for text in texts:  # a field of a DOT record, and a line of an SVG box
            assert re.search(rf"[{{|] {re.escape(text)} [|}}]", dot), text
            assert f">{text}<" in svg, text


def tools_imports():
    """``{tool module: the tool modules it imports}``, from the source of minigrad/tools."""
    prefix = "minigrad.tools."
    imports = {}
    for path in (Path(minigrad.__file__).parent / "tools").glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "minigrad.tools":
                found |= {prefix + a.name for a in node.names}  # from minigrad.tools import io
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)  # from minigrad.tools.picture import summary
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}  # import minigrad.tools.io
        imports[path.stem] = {n.removeprefix(prefix) for n in found if n.startswith(prefix)}
    return imports


def test_the_tools_import_each_other_one_way():
    imports = tools_imports()
    assert "explorer" in imports["drawing"]  # draw(".html") is the explorer's page
    # no circle: follow the imports from every module; none comes back to where it started
    for start in imports:
        seen, todo = set(), list(imports[start])
        while todo:
            module = todo.pop()
            assert module != start, f"{start} imports itself through {sorted(seen)}"
            if module not in seen:
                seen.add(module)
                todo.extend(imports[module])


def test_escape_makes_record_labels_safe():
    assert escape('a|b{c}<d>"e\\f\ng') == 'a\\|b\\{c\\}\\<d\\>\\"e\\\\f\\ng'
    assert escape("**") == "**"


def test_draw_dot_needs_nothing(tmp_path, B):
    out = neuron(B)
    path = tmp_path / "graph.dot"
    assert minigrad.draw(out, path) == path
    assert path.read_text() == minigrad.to_dot(out)
    with pytest.raises(ValueError, match=r"\.svg"):
        minigrad.draw(out, tmp_path / "graph.txt")


needs_graphviz = pytest.mark.skipif(
    shutil.which("dot") is None, reason="the Graphviz dot program is not installed"
)


@needs_graphviz
def test_dot_source_is_accepted_by_graphviz(B):
    result = subprocess.run(
        ["dot", "-Tsvg"], input=minigrad.to_dot(neuron(B)), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout and "tanh" in result.stdout


@needs_graphviz
@pytest.mark.parametrize("suffix", ["png", "pdf"])
def test_draw_renders_with_graphviz(tmp_path, suffix):
    pytest.importorskip("graphviz")
    path = tmp_path / f"graph.{suffix}"
    minigrad.draw(neuron(minigrad.backend("scalar")), path)
    data = path.read_bytes()
    signature = {"png": PNG_SIGNATURE, "pdf": b"%PDF"}[suffix]
    assert signature in data[:400]


def test_draw_says_what_to_install(tmp_path, monkeypatch):
    out = neuron(minigrad.backend("scalar"))
    try:
        import graphviz  # noqa: F401
    except ImportError:
        graphviz_installed = False
    else:
        graphviz_installed = True
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install "minigrad-twins\[viz\]"'):
        minigrad.draw(out, tmp_path / "g.pdf")
    minigrad.draw(out, tmp_path / "g.dot")  # .dot, .svg and .html still work
    minigrad.draw(out, tmp_path / "g.svg")
    minigrad.draw(out, tmp_path / "g.html")
    if not graphviz_installed:
        pytest.skip("the graphviz Python package is not installed")
    monkeypatch.undo()
    monkeypatch.setattr(shutil, "which", lambda name: None)  # as if no dot program
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        minigrad.draw(out, tmp_path / "g.png")
    assert not (tmp_path / "g.pdf").exists() and not (tmp_path / "g.png").exists()


# -- plot_history ----------------------------------------------------------------------------


def test_plot_history_writes_a_png(tmp_path, digits):
    pytest.importorskip("matplotlib")
    X_train, X_test, y_train, y_test = digits
    T = minigrad.backend("tensor")
    model = T.MLP(64, [16, 10], seed=0)
    history = minigrad.fit(model, T.SGD(model.parameters(), lr=0.1), X_train[:200], y_train[:200],
                           epochs=3, batch_size=20, progress=False,
                           validation_data=(X_test, y_test))  # fmt: skip
    path = tmp_path / "curves"  # no suffix: still written to exactly this path
    assert minigrad.plot_history(history, path) == path
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    minigrad.plot_history({"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]}, tmp_path / "b.png")
    assert (tmp_path / "b.png").read_bytes()[:8] == PNG_SIGNATURE


def test_plot_history_rejects_bad_histories(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="no 'loss'"):
        minigrad.plot_history({"loss": []}, tmp_path / "a.png")
    with pytest.raises(ValueError, match="entries"):
        minigrad.plot_history({"loss": [1.0, 2.0], "accuracy": [0.5]}, tmp_path / "a.png")
    with pytest.raises(TypeError, match="dict"):
        minigrad.plot_history([1.0, 2.0], tmp_path / "a.png")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match=r'pip install "minigrad-twins\[viz\]"'):
        minigrad.plot_history({"loss": [1.0]}, tmp_path / "a.png")
    assert not (tmp_path / "a.png").exists()
