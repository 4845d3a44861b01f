"""Gradients through loops: each kind of loop and each kind of write to a local value.

Each row runs one loop shape (static ``range``, dynamic ``range``, ``while``, nested
loops, ``break``, ``continue``) around one kind of update of a local value (a vector
component by index or by attribute, augmented, a matrix element, a quaternion
component, a struct field and a component of a struct's vector field, a transform's
``p`` and ``q``, a scalar local first defined in an inner loop). Rows are compiled in
chunks into one kernel each and checked against central differences in float64 (see
``gradtable.py``). A wrong row here used to be a gradient computed as if the loop did
nothing, or a backward pass that did not compile.
"""

from __future__ import annotations

import pytest

from .gradtable import Row, check_rows

PTX_ADJOINT_ONLY = True  # the backward pass replays the forward: its PTX covers both

STRUCT = """@wp.struct
class Acc:
    a: wp.float64
    v: wp.vec3d"""

# write kind -> (argument kinds, set-up lines, update lines (use the loop index i),
#                result line, result kind)
WRITES = {
    "v[1] =": (["v3"], ["v = {0}"], ["v[1] = v[1] * v[2]"], "r = v", "v3"),
    "v[k] +=": (["v3"], ["v = {0}"], ["v[i % 3] += v[(i + 1) % 3] * 0.5"], "r = v", "v3"),
    "v.y =": (["v3"], ["v = {0}"], ["v.y = v.y * 0.5 + v.z * v.x"], "r = v", "v3"),
    "m[r, c] -=": (["m33"], ["m = {0}"], ["m[i % 3, 2] -= m[1, 0] * m[2, 2] * 0.3"], "r = m",
                   "m33"),
    "q[k] =": (["q"], ["q = {0}"], ["q[i % 4] = q[i % 4] * q[3] + 0.1"], "r = q", "q"),
    "s.field =": (["f", "v3"], ["s = Acc()", "s.a = {0}", "s.v = {1}"],
                  ["s.a = s.a * 0.5 + s.v[0]", "s.v[1] = s.v[1] + s.a * s.v[2]"],
                  "r = s.v * s.a", "v3"),
    "t.p =": (["t"], ["t = {0}"], ["t.p = t.p * t.q[3] + wp.vec3d(0.1, t.p[0], 0.0)"],
              "r = t", "t"),
    "t.q =": (["t"], ["t = {0}"], ["t.q = t.q * wp.quatd(0.1 * t.p[0], 0.0, 0.0, 1.0)"],
              "r = t", "t"),
    # the shape of most simulation kernels: a local defined in the inner loop's body
    "inner local": (["f", "v3"], ["sc = {0}"], ["tt = {1}[j % 3] * sc", "sc = sc + tt * 0.5"],
                    "r = sc", "f"),
}

# loop shape -> lines, "{U}" standing for the update lines (n is 3 at run time)
LOOPS = {
    "static": ["for i in range(3):", "    {U}"],
    "dynamic": ["for i in range(n):", "    {U}"],
    "while": ["i = int(0)", "while i < n:", "    {U}", "    i += 1"],
    "nested": ["for i in range(n):", "    for j in range(2):", "        {U}"],
    "nested while": ["for i in range(n):", "    j = int(0)", "    while j < 2:",
                     "        {U}", "        j += 1"],
    "break": ["for i in range(n + 2):", "    if i == n:", "        break", "    {U}"],
    "continue": ["for i in range(n + 1):", "    if i == 1:", "        continue", "    {U}"],
}


def _row(write, loop):
    args, setup, update, result, out = WRITES[write]
    body = list(setup)
    for line in LOOPS[loop]:
        if line.strip() == "{U}":
            pad = line[: line.index("{U}")]
            body += [pad + u for u in update]
        else:
            body.append(line)
    body.append(result)
    return Row(f"{write} in {loop}", args, out, key=f"{write} in {loop}", body=body,
               prelude=STRUCT if write == "s.field =" else "")


# every kind of write and every loop shape, not their full product (which compiles for
# minutes): the writes share one mechanism, the loop shapes another
ROWS = [_row(w, loop) for w, loop in [
    ("v[1] =", "static"), ("s.field =", "dynamic"), ("t.p =", "dynamic"),
    ("m[r, c] -=", "while"), ("inner local", "nested"), ("t.q =", "nested"),
    ("inner local", "nested while"), ("v[k] +=", "nested while"), ("v.y =", "break"),
    ("q[k] =", "continue")]]

CHUNK = 13
CHUNKS = [(f"loop_writes_{i // CHUNK}", ROWS[i:i + CHUNK]) for i in range(0, len(ROWS), CHUNK)]


@pytest.mark.parametrize("name,rows", CHUNKS, ids=[c[0] for c in CHUNKS])
def test_writes_in_loops(name, rows, device):
    failures = check_rows(name, rows, device)
    assert not failures, "\n".join(failures)
