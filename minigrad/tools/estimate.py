"""How long a training run will take, measured before it starts: no silent half-hour waits.

``minigrad train`` times a few steps of a throwaway copy of the model (same sizes, same
batch size, its own optimizer, so the real run is not touched) and one evaluation of a
slice of the test set, then multiplies. The scalar engine's defaults take about half an
hour on a 2-core machine; the estimate says so before the first epoch, with a quicker
command to try first.
"""

import time

from minigrad.common.grad_mode import no_grad

# A run expected to take longer than this gets a warning with a quicker command.
WARN_SECONDS = 60.0
# The probe stops after this many steps, or after this much time, whichever comes first
# (at least one step is always timed).
PROBE_STEPS = 3
PROBE_SECONDS = 0.5


def time_steps(step, max_steps=PROBE_STEPS, max_seconds=PROBE_SECONDS, clock=time.perf_counter):
    """The median seconds of ``step()``, called until ``max_steps`` calls or ``max_seconds``
    have passed (at least once)."""
    times = []
    start = clock()
    while not times or (len(times) < max_steps and clock() - start < max_seconds):
        t = clock()
        step()
        times.append(clock() - t)
    times.sort()
    return times[len(times) // 2]


def probe(model, optimizer, loss_fn, X, y, batch_size, X_eval):
    """``(seconds per training step of batch_size, seconds to evaluate one sample)``, timed
    on ``model`` (a throwaway copy: its weights change) with the first samples of ``X``."""
    from minigrad.tools.training import train_step

    xb, yb = X[:batch_size], y[:batch_size]
    step = time_steps(lambda: train_step(model, optimizer, loss_fn, xb, yb))
    if len(X_eval) == 0:
        return step, 0.0
    xe = X_eval[:batch_size]

    def evaluate():
        with no_grad():
            model(xe)

    return step, time_steps(evaluate) / len(xe)


def run_seconds(step_seconds, sample_eval_seconds, n_train, n_eval, batch_size, epochs):
    """The estimated seconds of ``epochs`` epochs: every step, then the evaluation of
    ``n_eval`` samples after each epoch."""
    steps = -(-n_train // batch_size)
    return epochs * (steps * step_seconds + n_eval * sample_eval_seconds)


def format_duration(seconds):
    """``about 40 s``, ``about 29 minutes``, ``about 2.5 hours``, ``about 3 days``."""
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} minutes"
    if seconds < 48 * 3600:
        return f"about {seconds / 3600:.1f} hours"
    return f"about {seconds / 86400:.0f} days"
