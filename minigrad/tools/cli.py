"""The ``minigrad`` command line: ``train``, ``compare``, ``draw`` and ``why``.

``minigrad train`` trains an MLP on the digits (any engine) and prints a confusion
matrix; ``minigrad compare`` runs the two shipped engines from the same seed on the same
batches and prints how far apart they end up and how much slower the scalar engine is;
``minigrad draw`` writes the computation graph of a small example; ``minigrad why`` runs the
experiments of ``minigrad.experiments`` (``why_cli.py``). ``python -m minigrad``
is the same program. ``main(argv)`` returns the exit code: 0; 2 for a bad command line (an
argparse-style message on stderr, before any work); 1 for a run that diverged or ran out of
memory (one line on stderr); 141 (a process killed by SIGPIPE) when stdout is closed early,
as in ``minigrad train | head -1``, silently. A user's mistake never prints a traceback.
"""

import argparse
import contextlib
import importlib.util
import os
import re
import stat
import statistics
import sys
import time

import numpy as np

import minigrad
from minigrad.common.checks import ACTIVATIONS, is_positive_int
from minigrad.tools import estimate, why_cli
from minigrad.tools.io import check_replaceable
from minigrad.tools.plotting import INSTALL_HINT as PLOT_INSTALL_HINT
from minigrad.tools.training import predict, progress_bar_class, train_step

OPTIMIZERS = ("sgd", "adam")
# The learning rate when --lr is not given: PyTorch's Adam default for Adam; for SGD the value
# the train defaults below were tuned with.
DEFAULT_LR = {"sgd": 0.1, "adam": 1e-3}
# `minigrad compare` runs 20 steps without momentum: with train's defaults (ReLU, lr 0.1) the
# loss it prints wanders up and down by the batch and reads as broken training. With tanh and
# these rates it falls from its first printed step to its last for each of the seeds 0 to 19
# (tests/test_cli.py checks seed 0); a sweep on the tensor engine chose them.
COMPARE_DEFAULT_LR = {"sgd": 0.5, "adam": 1e-2}
COMPARE_DEFAULT_ACT = "tanh"

# Defaults of `minigrad train`, chosen by experiment (a sweep of widths, learning rates and
# momenta): on the tensor engine they reach about 98% test accuracy in well under a second;
# every seed from 0 to 9 gives at least 96.9%.
TRAIN_DEFAULTS = {
    "backend": "tensor",
    "hidden": [64, 32],
    "act": "relu",
    "optimizer": "sgd",
    "momentum": 0.9,
    "weight_decay": 0.0,
    "epochs": 30,
    "batch_size": 32,
    "seed": 0,
}
DRAW_DEFAULT_BACKEND = "scalar"  # micrograd's picture: one box per number

# `minigrad compare` and `minigrad draw --compare` put these two engines side by side, by
# design: the reference engine (one node per number) first, the fast one second.
COMPARED = ("scalar", "tensor")


# -- argument types: a bad value becomes "argument --lr: ..." and exit code 2 ---------------------


def _number(text, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {text!r}") from None
    if kind is float and not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_float(text):
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def nonnegative_float(text):
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def positive_int(text):
    value = _number(text, int)
    if not is_positive_int(value):
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def nonnegative_int(text):
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


# -- the parser ---------------------------------------------------------------------------------


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``-h`` shows every option's default. argparse's formatter appends ``(default: ...)``
    only to options that have help text and prints ``None`` for an unset one; here every
    option has help, a list default prints as typed (``64 32``), and an option whose default
    is None or off says in its own help what happens without it."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if "default" in text or default is None or default is False or default is argparse.SUPPRESS:
            return text
        if isinstance(default, list):
            return f"{text} (default: {' '.join(map(str, default))})"
        return f"{text} (default: %(default)s)"


def build_parser():
    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="Two autograd engines behind one API: train, compare, draw, why.",
        epilog="Without a command (or with options only, as in `minigrad --epochs 5`), runs "
        "`minigrad train`. `minigrad COMMAND -h` describes a command and its defaults.",
    )
    parser.add_argument("--version", action="version", version=f"minigrad {minigrad.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    d = TRAIN_DEFAULTS
    lr_help = (
        f"learning rate (default: {DEFAULT_LR['sgd']:g} for sgd, {DEFAULT_LR['adam']:g} for adam)"
    )
    train = commands.add_parser(
        "train",
        help="train an MLP on the digits and print a confusion matrix",
        description="Train an MLP (64 inputs, --hidden layers, 10 outputs) on scikit-learn's "
        "8x8 digits (1347 training, 450 test images) and print the test accuracy.",
        formatter_class=HelpFormatter,
    )
    train.add_argument(
        "--backend",
        choices=minigrad.BACKENDS,
        default=d["backend"],
        help="autograd engine: tensor (NumPy arrays; a full run takes seconds) or scalar "
        "(one Python object per number, ~1000x slower: a full run takes 8 to 30 minutes on 2 "
        "cores; try --limit 200 --epochs 2 first). A run over a minute says so before it starts",
    )
    train.add_argument(
        "--hidden", type=positive_int, nargs="+", default=d["hidden"], help="hidden layer widths"
    )
    train.add_argument("--act", choices=ACTIVATIONS, default=d["act"], help="hidden activation")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default=d["optimizer"], help="optimizer")
    train.add_argument("--lr", type=positive_float, help=lr_help)
    train.add_argument(
        "--momentum", type=nonnegative_float, default=d["momentum"], help="SGD momentum"
    )
    train.add_argument(
        "--weight-decay", type=nonnegative_float, default=d["weight_decay"], help="L2 penalty"
    )
    train.add_argument(
        "--epochs", type=positive_int, default=d["epochs"], help="passes over the data"
    )
    train.add_argument(
        "--batch-size", type=positive_int, default=d["batch_size"], help="samples per step"
    )
    train.add_argument(
        "--seed",
        type=nonnegative_int,
        default=d["seed"],
        help="seed of the initial weights and of the shuffling",
    )
    train.add_argument(
        "--limit",
        type=positive_int,
        metavar="N",
        help="train on the first N samples only (default: all 1347)",
    )
    train.add_argument(
        "--save", metavar="PATH", help="write the trained model (.npz) here (default: not saved)"
    )
    train.add_argument(
        "--plot",
        metavar="PATH",
        help="write the training curves (PNG, needs matplotlib) here (default: no plot)",
    )
    train.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (default: a tqdm bar on stderr when it is a terminal)",
    )
    train.set_defaults(run=run_train, parser=train)

    compare = commands.add_parser(
        "compare",
        help="run both engines on the same batches; print differences and speeds",
        description="Train the same MLP with both engines from the same seed on identical "
        "batches, then print the largest difference in loss and in weights between them and "
        "the time per step of each.",
        formatter_class=HelpFormatter,
    )
    compare.add_argument("--steps", type=positive_int, default=20, help="training steps")
    compare.add_argument("--batch-size", type=positive_int, default=32, help="samples per step")
    compare.add_argument(
        "--hidden", type=positive_int, nargs="+", default=[32, 16], help="hidden layer widths"
    )
    compare.add_argument(
        "--act", choices=ACTIVATIONS, default=COMPARE_DEFAULT_ACT, help="hidden activation"
    )
    compare.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd", help="optimizer")
    compare.add_argument(
        "--lr",
        type=positive_float,
        help=f"learning rate (default: {COMPARE_DEFAULT_LR['sgd']:g} for sgd, "
        f"{COMPARE_DEFAULT_LR['adam']:g} for adam: over 20 steps without momentum, rates "
        "at which the loss visibly falls)",
    )
    compare.add_argument(
        "--seed",
        type=nonnegative_int,
        default=0,
        help="seed of the initial weights and of the batches",
    )
    compare.set_defaults(run=run_compare, parser=compare)

    draw = commands.add_parser(
        "draw",
        help="draw the computation graph of a small example",
        description="Write the graph of tanh(w1*x1 + w2*x2 + b) after backward (or, with "
        "--mlp, of a tiny MLP's loss). The suffix of -o picks the format: .html is the "
        "interactive explorer that steps through the backward pass, .svg a static picture, "
        ".dot the DOT text (none of these needs Graphviz); .png and .pdf need Graphviz. "
        "--compare writes one .html page with the tiny MLP in both engines side by side.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    draw.add_argument("--backend", choices=minigrad.BACKENDS, default=DRAW_DEFAULT_BACKEND)
    draw.add_argument(
        "--mlp", action="store_true", help="draw the mse loss of MLP(2, [2, 1]) instead"
    )
    draw.add_argument(
        "--compare",
        action="store_true",
        help="the tiny MLP in both engines side by side, with node counts and the time of "
        "one backward (-o must end in .html)",
    )
    draw.add_argument("-o", "--output", default="graph.svg", metavar="PATH")
    draw.set_defaults(run=run_draw, parser=draw)

    why_cli.add_parser(commands, HelpFormatter, nonnegative_int)
    return parser


def _check_output_path(parser, option, path):
    """Fail before any work if ``path`` cannot be written (missing directory, a directory, no
    permission, a read-only file system)."""
    if path is None:
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        parser.error(f"argument {option}: directory {directory!r} does not exist")
    if os.path.isdir(path):
        parser.error(f"argument {option}: {path!r} is a directory")
    # Opening the file is the only test that tells the truth (os.access says yes to root on a
    # read-only mount); append mode leaves an existing file as it is, and a probe file that
    # did not exist before is removed again.
    existed = os.path.lexists(path)
    with contextlib.suppress(OSError):
        if stat.S_ISFIFO(os.stat(path).st_mode):  # opening would block until a reader came,
            return  # then hand that reader an empty stream: the write itself will tell
    try:
        with open(path, "ab"):
            pass
    except OSError as e:
        parser.error(f"argument {option}: cannot write {path!r}: {e.strerror or e}")
    if not existed:
        with contextlib.suppress(OSError):
            os.remove(path)


def _check_save_path(parser, path):
    """Fail before any work if ``save`` could not write ``path``: besides what
    ``_check_output_path`` tests, ``save`` writes a temporary file in the directory and
    renames it over ``path``, so an existing, writable file in a read-only directory cannot
    be saved to either."""
    if path is None:
        return
    try:
        check_replaceable(path)
    except OSError as e:
        parser.error(
            f"argument --save: cannot write {path!r}: cannot create a file in its directory "
            f"{e.filename!r} (the model is written to a new file there, then renamed over "
            f"{path!r}): {e.strerror or e}"
        )


def _same_file(a, b):
    """True if paths ``a`` and ``b`` name one file (``m.npz`` and ``./m.npz``, a symlink,
    a hard link)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return False


def _resolve_lr(args, defaults=DEFAULT_LR):
    if args.lr is None:
        args.lr = defaults[args.optimizer]


_TEST_SAMPLES = 450  # the digits test set: evaluated in one batch after every epoch


def training_memory(backend, sizes, batch_size, optimizer="sgd"):
    """An estimate, in bytes, of the memory a training run of ``MLP(sizes[0], sizes[1:])``
    needs on ``backend`` with mini-batches of ``batch_size``: the engine's own estimate
    (its module's ``training_memory``), with the test set evaluated in one batch."""
    B = minigrad.backend(backend)
    return B.training_memory(sizes, batch_size, optimizer, eval_size=_TEST_SAMPLES)


def available_memory():
    """Bytes of memory available to a new allocation (Linux: MemAvailable), else the physical
    memory, else None when the system does not say."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return None


def format_bytes(n):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024


# What `minigrad compare` keeps for every step: a loss and a time for each of the two engines
# (float64 arrays), and a copy of one of the time arrays to take its median.
COMPARE_BYTES_PER_STEP = 8 * (2 * len(COMPARED) + 1)


def _check_memory(parser, args):
    """Refuse, before any work, a run that could not fit in this machine's memory: the
    network (``--hidden``, ``--batch-size``) and, for ``compare``, what grows with
    ``--steps`` (``COMPARE_BYTES_PER_STEP``, and the first engine's weights, kept while the
    second trains)."""
    sizes = [64, *args.hidden, 10]
    backends = COMPARED if args.command == "compare" else (args.backend,)
    need = max(training_memory(b, sizes, args.batch_size, args.optimizer) for b in backends)
    have = available_memory()
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    if have is not None and need > have:
        parser.error(
            f"argument --hidden: MLP(64, {sizes[1:]}) has {n_params:,} parameters; training it "
            f"would need about {format_bytes(need)} of memory, {format_bytes(have)} available"
        )
    if args.command == "compare":
        need += COMPARE_BYTES_PER_STEP * args.steps + 8 * n_params
        if have is not None and need > have:
            parser.error(
                f"argument --steps: {args.steps:,} steps would need about "
                f"{format_bytes(need)} of memory (a loss and a time per step of each engine, "
                f"and the training), {format_bytes(have)} available"
            )


def _diverged(where):
    """The one line a diverging run ends with (on stderr); exit code 1."""
    _flush_stdout()
    print(f"training diverged: non-finite loss {where}; try a smaller --lr", file=sys.stderr)
    return 1


def _optimizer(B, args, params):
    if args.optimizer == "adam":
        return B.Adam(params, lr=args.lr, weight_decay=getattr(args, "weight_decay", 0.0))
    return B.SGD(
        params,
        lr=args.lr,
        momentum=getattr(args, "momentum", 0.0),
        weight_decay=getattr(args, "weight_decay", 0.0),
    )


def _describe_optimizer(args):
    if args.optimizer == "adam":
        return f"Adam(lr={args.lr:g}, weight_decay={args.weight_decay:g})"
    return f"SGD(lr={args.lr:g}, momentum={args.momentum:g}, weight_decay={args.weight_decay:g})"


def _n_params(model):
    return sum(a.size for a in model.state_dict().values())


# -- train --------------------------------------------------------------------------------------


def format_confusion_matrix(matrix):
    n = len(matrix)
    width = max(3, len(str(matrix.max())) + 1)
    lines = [
        "confusion matrix (rows: true digit, columns: predicted digit)",
        "true\\pred" + "".join(f"{j:>{width}}" for j in range(n)),
    ]
    for i in range(n):
        lines.append(f"{i:>9}" + "".join(f"{v:>{width}}" for v in matrix[i]))
    return "\n".join(lines)


def _warn_if_long(B, args, X_train, y_train, X_test):
    """Before training: time a few steps of a throwaway model of the same sizes and, when
    the run would take more than a minute, say how long on stderr, with a quicker command."""
    model = B.MLP(64, [*args.hidden, 10], act=args.act, seed=args.seed)
    with np.errstate(all="ignore"):  # a diverging lr is fit's to report, not the probe's
        try:
            step, per_sample = estimate.probe(
                model,
                _optimizer(B, args, model.parameters()),
                B.cross_entropy_loss,
                X_train,
                y_train,
                args.batch_size,
                X_test,
            )
        except FloatingPointError:
            return
    n_train, n_test = len(X_train), len(X_test)
    total = estimate.run_seconds(step, per_sample, n_train, n_test, args.batch_size, args.epochs)
    if total <= estimate.WARN_SECONDS:
        return
    message = (
        f"this run will take {estimate.format_duration(total)} ({args.backend} engine: "
        f"{step:.2g} s per step of {args.batch_size} samples, measured just now)"
    )
    quicker = []
    if n_train > 200:
        quicker.append("--limit 200")
    if args.epochs > 2:
        quicker.append("--epochs 2")
    if quicker:
        quick = estimate.run_seconds(
            step, per_sample, min(n_train, 200), n_test, args.batch_size, min(args.epochs, 2)
        )
        message += f"; for a first look: {' '.join(quicker)} ({estimate.format_duration(quick)})"
    default = TRAIN_DEFAULTS["backend"]
    if B.NODE_PER_NUMBER and args.backend != default:  # one Python object per number
        message += f"; an engine over arrays (--backend {default}) trains it ~1000x faster"
    _flush_stdout()
    print(message, file=sys.stderr, flush=True)


def run_train(args):
    parser = args.parser
    _resolve_lr(args)
    if args.save and args.plot and _same_file(args.save, args.plot):
        parser.error(
            f"argument --plot: {args.plot!r} is the --save file {args.save!r}; give the model "
            "and the plot two files"
        )
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        parser.error(f"argument --plot: needs matplotlib: {PLOT_INSTALL_HINT}")
    _check_output_path(parser, "--save", args.save)
    _check_save_path(parser, args.save)
    _check_output_path(parser, "--plot", args.plot)
    _check_memory(parser, args)
    B = minigrad.backend(args.backend)
    X_train, X_test, y_train, y_test = minigrad.load_digits()
    if args.limit is not None:
        X_train, y_train = X_train[: args.limit], y_train[: args.limit]
    model = B.MLP(64, [*args.hidden, 10], act=args.act, seed=args.seed)
    optimizer = _optimizer(B, args, model.parameters())
    print(
        f"minigrad train: {args.backend} engine, {model!r}, {_n_params(model)} parameters, "
        f"{_describe_optimizer(args)}"
    )
    print(
        f"{len(X_train)} training / {len(X_test)} test digits, batch size {args.batch_size}, "
        f"{args.epochs} epochs, seed {args.seed}",
        flush=True,
    )
    _warn_if_long(B, args, X_train, y_train, X_test)
    width = len(str(args.epochs))

    def report(epoch, history):
        print(
            f"epoch {epoch:>{width}}/{args.epochs}  loss {history['loss'][-1]:.4f}  "
            f"train accuracy {history['accuracy'][-1]:.4f}  "
            f"test accuracy {history['val_accuracy'][-1]:.4f}  {history['seconds'][-1]:.2f} s",
            flush=True,
        )

    start = time.perf_counter()
    # A diverging run is reported once, by fit's check of the loss; NumPy's overflow warnings
    # on the way there would only say the same thing first, with a source line.
    try:
        with np.errstate(all="ignore"):
            history = minigrad.fit(
                model,
                optimizer,
                X_train,
                y_train,
                epochs=args.epochs,
                batch_size=args.batch_size,
                seed=args.seed,
                # a bar on a terminal; elsewhere (a log) the epoch lines below say it all
                progress=not args.no_progress and progress_bar_class() is not None,
                validation_data=(X_test, y_test),
                callback=report,
            )
    except FloatingPointError as e:
        # fit's message: "non-finite loss (nan) at epoch 1, step 2 of 43"
        where = re.search(r"at epoch \d+, step \d+ of \d+", str(e))
        return _diverged(where[0] if where else f"({e})")
    seconds = time.perf_counter() - start
    # scikit-learn (imported by load_digits already) is imported where it is used, so that
    # `minigrad --help` starts without its 1,000 modules
    from sklearn.metrics import confusion_matrix

    pred = predict(model, X_test)
    accuracy = float((pred == y_test).mean())
    print(f"trained in {seconds:.2f} s")
    print(format_confusion_matrix(confusion_matrix(y_test, pred, labels=range(10))))
    if args.save:
        minigrad.save(model, args.save)
        print(f"saved model to {args.save}")
    if args.plot:
        minigrad.plot_history(history, args.plot, val_label="test")
        print(f"saved training curves to {args.plot}")
    print(f"test accuracy: {accuracy:.4f}")
    return 0


# -- compare ------------------------------------------------------------------------------------


def compare_batches(seed, n, batch_size, steps):
    """The index arrays of ``steps`` batches of ``batch_size`` samples of ``range(n)``: one
    permutation after another, drawn from ``seed``, cut into consecutive batches (a batch
    may span two permutations). Drawn as they are used: memory does not grow with steps."""
    rng = np.random.default_rng(seed)
    pending = np.empty(0, dtype=np.intp)
    for _ in range(steps):
        if len(pending) < batch_size:
            parts = [pending]
            for _ in range(-(-(batch_size - len(pending)) // n)):
                parts.append(rng.permutation(n))
            pending = np.concatenate(parts)
        yield pending[:batch_size]
        pending = pending[batch_size:]


def run_compare(args):
    args.momentum = args.weight_decay = 0.0
    _resolve_lr(args, COMPARE_DEFAULT_LR)
    _check_memory(args.parser, args)
    X_train, _, y_train, _ = minigrad.load_digits()
    sizes = [64, *args.hidden, 10]
    print(
        f"minigrad compare: MLP(64, {sizes[1:]}, act={args.act!r}), {_describe_optimizer(args)}, "
        f"{args.steps} steps of batch {args.batch_size}, seed {args.seed}",
        flush=True,
    )
    # one number per step and engine (COMPARE_BYTES_PER_STEP, checked above)
    losses = {name: np.empty(args.steps) for name in COMPARED}
    times = {name: np.empty(args.steps) for name in COMPARED}
    states = {}
    for name in COMPARED:
        B = minigrad.backend(name)
        model = B.MLP(64, sizes[1:], act=args.act, seed=args.seed)
        optimizer = _optimizer(B, args, model.parameters())
        batches = compare_batches(args.seed, len(X_train), args.batch_size, args.steps)
        for step, idx in enumerate(batches):
            start = time.perf_counter()
            try:
                with np.errstate(all="ignore"):  # as in run_train
                    loss, _ = train_step(
                        model, optimizer, B.cross_entropy_loss, X_train[idx], y_train[idx]
                    )
            except FloatingPointError:
                return _diverged(f"at step {step + 1} of {args.steps} ({name} engine)")
            times[name][step] = time.perf_counter() - start
            losses[name][step] = loss
        states[name] = model.state_dict()
    slow, fast = COMPARED
    for step in sorted({0, args.steps // 2, args.steps - 1}):
        print(
            f"step {step + 1:>4}: loss {slow} {losses[slow][step]:.12f}  "
            f"{fast} {losses[fast][step]:.12f}"
        )
    loss_diff = max(abs(a - b) for a, b in zip(losses[slow], losses[fast]))
    weight_diff = max(
        float(np.max(np.abs(states[slow][k] - states[fast][k]))) for k in states[slow]
    )
    slow_ms = float(np.median(times[slow])) * 1e3
    fast_ms = float(np.median(times[fast])) * 1e3
    print(f"max loss difference:   {loss_diff:.1e}")
    print(f"max weight difference: {weight_diff:.1e}")
    print(f"{slow} engine: {slow_ms:.3f} ms per step (median)")
    print(f"{fast} engine: {fast_ms:.3f} ms per step (median)")
    print(f"{slow} engine: {slow_ms / fast_ms:.0f}x slower")
    return 0


# -- draw ---------------------------------------------------------------------------------------


def example_graph(backend, mlp=False):
    """The root of a small example graph after ``backward``: micrograd's neuron
    ``tanh(w1*x1 + w2*x2 + b)`` (output 0.7071), or with ``mlp`` the mse loss of
    ``MLP(2, [2, 1], act="tanh", seed=0)`` on one sample."""
    B = minigrad.backend(backend)
    if mlp:
        return example_mlp(backend)[0]
    x1, x2 = B.leaf(2.0, label="x1"), B.leaf(0.0, label="x2")
    w1, w2 = B.leaf(-3.0, label="w1"), B.leaf(1.0, label="w2")
    b = B.leaf(6.8813735870195432, label="b")
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.label = "o"
    out.backward()
    return out


def example_mlp(backend):
    """The mse loss of ``MLP(2, [2, 1], act="tanh", seed=0)`` on one sample after
    ``backward``, and the model (the pictures name its parameters)."""
    B = minigrad.backend(backend)
    model = B.MLP(2, [2, 1], act="tanh", seed=0)
    loss = B.mse_loss(model([[2.0, -1.0]]), [[1.0]])  # a batch of one: (1, 1) in both
    loss.backward()
    return loss, model


def backward_seconds(backend, repeat=30):
    """Median time of one ``backward`` of the tiny MLP's loss (a fresh graph each time)."""
    times = []
    for _ in range(repeat):
        B = minigrad.backend(backend)
        model = B.MLP(2, [2, 1], act="tanh", seed=0)
        loss = B.mse_loss(model([[2.0, -1.0]]), [[1.0]])  # a batch of one: (1, 1) in both
        start = time.perf_counter()
        loss.backward()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_draw_compare(args):
    from minigrad.tools.explorer import explore_side_by_side, graph_nodes

    if not args.output.lower().endswith(".html"):
        args.parser.error(f"argument -o: --compare writes an .html page, got {args.output!r}")
    graphs, counts = [], []
    for name in COMPARED:
        root, model = example_mlp(name)
        n = len(graph_nodes(root))
        us = backward_seconds(name) * 1e6
        note = f"One backward: {us:.1f} \u00b5s (median of 30 fresh graphs)."
        graphs.append((f"{name} engine: {n} nodes", root, note, model))
        counts.append(f"{name} {n} nodes, {us:.1f} \u00b5s per backward")
    title = f"MLP(2, [2, 1]) mse loss: the {' and the '.join(COMPARED)} engine"
    explore_side_by_side(graphs, args.output, title)
    print(f"wrote MLP(2, [2, 1]) mse loss in both engines ({'; '.join(counts)}) to {args.output}")
    return 0


def run_draw(args):
    parser = args.parser
    _check_output_path(parser, "-o", args.output)
    if args.compare:
        return run_draw_compare(args)
    root, model = example_mlp(args.backend) if args.mlp else (example_graph(args.backend), None)
    try:
        minigrad.draw(root, args.output, model=model)
    except (ImportError, RuntimeError) as e:
        parser.error(str(e))
    what = "MLP(2, [2, 1]) mse loss" if args.mlp else "tanh(w1*x1 + w2*x2 + b)"
    print(f"wrote the graph of {what} ({args.backend} engine) to {args.output}")
    return 0


# -- entry point --------------------------------------------------------------------------------


def main(argv=None):
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    # No command, or options only (`minigrad --epochs 5`): the options are train's.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["train", *argv]
    try:
        args = parser.parse_args(argv)
        try:
            code = args.run(args)
            _flush_stdout()  # a closed pipe shows here, not in Python's exit handler
            return code
        except BrokenPipeError:
            raise
        except ValueError as e:  # a value the library rejects: a usage error, not a crash
            args.parser.error(str(e))
        except OSError as e:
            args.parser.error(f"{e.strerror or e}: {e.filename}" if e.filename else str(e))
    except SystemExit as e:  # argparse's exit (2 for errors, 0 for --help)
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BrokenPipeError:
        return _stdout_closed()
    except MemoryError:
        _flush_stdout()
        print("out of memory: try a smaller --hidden or --batch-size", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _flush_stdout():
    """Flush stdout, if there is one: a program started with its stdout closed
    (`minigrad draw -o g.dot >&-`) has ``sys.stdout = None``; it does its work all the same,
    and ``print`` writes nothing."""
    if sys.stdout is not None:
        sys.stdout.flush()


def _stdout_closed():
    """The reader of stdout went away (`minigrad train | head -1`): stop quietly.

    Whatever is still buffered for stdout could never be written, and Python would report
    that at exit, so stdout is pointed at the null device first (the recipe in the docs of
    Python's signal module). The exit code is the one a shell reports for a program that
    SIGPIPE stopped, as it would have stopped a C program (Python ignores SIGPIPE).
    """
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 141


if __name__ == "__main__":
    sys.exit(main())
