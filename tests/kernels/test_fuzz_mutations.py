"""Malformed kernels: random mutations of the syntax trees of a few valid kernels and
functions (scalars, wp.vec3, wp.mat33, wp.quat, if/else, for/while/break/continue, a
@wp.func with an early return, atomics, int32 arithmetic). Each mutation breaks one thing
the way people do: a statement deleted, an operator swapped (``@`` or ``**`` on vectors
too), an undefined name, a wrong or unsupported annotation, a call with an argument too
many or too few or in the wrong order, NumPy inside a kernel, a @wp.func that calls
itself, a variable retyped in a loop, syntax kernels do not have (list comprehension,
try, lambda, a returned value, ...), a vector indexed with a float, a builtin given the
wrong types (``wp.length(1.0)``, ``wp.cross(vec3, vec2)``), an attribute that does not
exist (``v.w`` on a vec3), a value stored into the wrong type, a changed constant.

Each mutant is written to a content-named file (tests/generated_sources.py), imported,
compiled for the CPU and, when it compiles, launched. Either it compiles (and runs: its
results are not checked), or the error names the mutant's file and a line of it inside
the code (for mutations whose culprit is one line, that line), in the user's terms:
never Numba's internal wording (pipeline stages, overload selectors, generated names),
never a bare KeyError/AttributeError/... from inside numba_warp. Nothing may crash or
hang the interpreter.

Mutant ``k`` is always the same program (``random.Random(k)``); the first mutants take
the mutation kinds in turn, so the CI run tries each kind once.
``NUMBA_WARP_FUZZ_MUTANTS`` sets how many mutants run (default 24: about 20 s on a cold
kernel cache, most mutants failing before or early in Numba's typing); run a few hundred
by hand after changing the front end or the error messages (700 take about 3 minutes).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import os
import random
import re
import traceback
import warnings

import numpy as np
import pytest

import numba_warp as wp
from generated_sources import import_source, source_dir
from numba_warp.frontend.errors import WarpCodegenWarning

MUTANTS = int(os.environ.get("NUMBA_WARP_FUZZ_MUTANTS", "24"))
N = 4  # threads
PAD = 64  # array length: an index a mutation changed stays inside the array

HEADER = "import numpy as np\n\nimport numba_warp as wp\n\nSCALE = 2.0\nTABLE = [1.0, 2.0]\n\n\n" \
    "def plain_helper(z):\n    return z * 2.0\n\n\n"

# -- the valid programs ------------------------------------------------------------------
# Each: source (after HEADER), the kernel's name, names of each type defined once the
# kernel's first `ready` statements ran, and the launch arguments.

SCALARS = '''
@wp.func
def soft_step(v: float):
    if v < 0.0:
        return 0.0
    return v / (1.0 + v)


@wp.kernel
def scalars(x: wp.array(dtype=float), y: wp.array(dtype=float), n: int,
            out: wp.array(dtype=float)):
    i = wp.tid()
    a = x[i]
    b = y[i] * 2.0 + 1.0
    r = soft_step(a - b)
    if a > b:
        r = r + wp.sin(a)
    else:
        r = r * 0.5
    for k in range(n):
        r = r * 0.5 + float(k)
    out[i] = wp.clamp(r, -10.0, 10.0)
'''

VECTORS = '''
@wp.func
def project(v: wp.vec3, d: wp.vec3):
    l = wp.length(d)
    if l == 0.0:
        return v
    u = d / l
    return v - wp.dot(v, u) * u


@wp.kernel
def vectors(v: wp.array(dtype=wp.vec3), m: wp.mat33, s: float,
            out: wp.array(dtype=wp.vec3), total: wp.array(dtype=float)):
    i = wp.tid()
    a = v[i]
    b = wp.vec3(s, 1.0, 2.0)
    c = wp.cross(a, b) + m * a
    d = project(c, b)
    e = wp.transpose(m) * d
    if wp.dot(e, a) > 0.0:
        e = wp.normalize(e)
    out[i] = e + wp.vec3(e.x, a[1], b.z)
    wp.atomic_add(total, 0, wp.length(e))
'''

QUATS = '''
@wp.func
def turn(q: wp.quat, p: wp.vec3):
    return wp.quat_rotate(q, p)


@wp.kernel
def rotations(q: wp.array(dtype=wp.quat), p: wp.array(dtype=wp.vec3), angle: float,
              out: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    r = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), angle)
    qi = wp.normalize(q[i]) * r
    w = turn(qi, p[i])
    w = w + wp.quat_rotate_inv(r, p[i])
    out[i] = w * qi.w
'''

INTEGERS = '''
@wp.func
def collatz_steps(n: wp.int32, limit: wp.int32):
    steps = wp.int32(0)
    while n != 1:
        if steps >= limit:
            return -1
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


@wp.kernel
def integers(p: wp.array(dtype=wp.int32), q: wp.array(dtype=wp.int32),
             counts: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.int32)):
    i = wp.tid()
    a = p[i]
    b = q[i]
    acc = wp.int32(0)
    for k in range(8):
        if k == 3:
            continue
        if acc > 1000:
            break
        acc = acc + ((a ^ b) & 255) + k
    out[i] = acc * 31 + (b << 2) - collatz_steps((a & 63) + 1, 50)
    wp.atomic_add(counts, a & 3, 1)
'''

MATRICES = '''
@wp.func
def safe_inverse(t: wp.mat33):
    d = wp.determinant(t)
    if wp.abs(d) < 1.0e-6:
        return wp.identity(n=3, dtype=float)
    return wp.inverse(t)


@wp.kernel
def matrices(a: wp.array2d(dtype=float), m: wp.array(dtype=wp.mat33),
             out: wp.array(dtype=wp.mat33)):
    i, j = wp.tid()
    mi = m[i]
    t = wp.transpose(mi) * mi
    row = t[j]
    t = safe_inverse(t)
    k = 0
    while k < 3:
        if t[k, k] > 10.0:
            break
        k += 1
    out[i] = t + wp.outer(row, row) * a[i, j]
'''


def _f(shape=PAD, dtype=float, fill=0.5):
    return lambda: wp.full(shape, fill, dtype=dtype, device="cpu")


SEEDS = {
    "scalars": dict(src=SCALARS, ready=3, dim=N,
                    names={"float": "a", "int": "n", "array": "x"},
                    args=lambda: [_f()(), _f(fill=-0.25)(), 3, _f()()]),
    "vectors": dict(src=VECTORS, ready=3, dim=N,
                    names={"float": "s", "vec3": "a", "mat33": "m", "array": "v"},
                    args=lambda: [_f(dtype=wp.vec3)(), wp.mat33(*range(9)), 0.5,
                                  _f(dtype=wp.vec3)(), _f()()]),
    "rotations": dict(src=QUATS, ready=2, dim=N,
                      names={"float": "angle", "vec3": "w", "quat": "r", "array": "q"},
                      args=lambda: [_f(dtype=wp.quat)(), _f(dtype=wp.vec3)(), 0.3,
                                    _f(dtype=wp.vec3)()]),
    "integers": dict(src=INTEGERS, ready=4, dim=N,
                     names={"int": "a", "array": "p"},
                     args=lambda: [wp.array(np.arange(PAD, dtype=np.int32), device="cpu"),
                                   _f(dtype=wp.int32, fill=5)(), _f(dtype=wp.int32, fill=0)(),
                                   _f(dtype=wp.int32, fill=0)()]),
    "matrices": dict(src=MATRICES, ready=3, dim=(N, 3),
                     names={"float": "a[i, j]", "int": "j", "vec3": "row", "mat33": "mi",
                            "array": "m"},
                     args=lambda: [_f((PAD, 3))(), _f(dtype=wp.mat33, fill=1.0)(),
                                   _f(dtype=wp.mat33)()]),
}
SEED_NAMES = list(SEEDS)
#: names no mutation rebinds inside a loop, nor deletes the update of: the loop counters
#: of `while` loops (a mutant must never loop forever)
LOOP_COUNTERS = {"k", "steps"}


# -- mutations ---------------------------------------------------------------------------
# Each takes (rng, tree, seed) and changes `tree` (the module) in place; it returns the
# node that carries the fault and whether the error must be at that very line (False:
# any line of the code), or None when it does not apply to this program.


def _functions(tree):
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.decorator_list]


def _kernel(tree):
    return [f for f in _functions(tree) if ast.unparse(f.decorator_list[0]) == "wp.kernel"][0]


def _func(tree):
    return [f for f in _functions(tree) if ast.unparse(f.decorator_list[0]) == "wp.func"][0]


def _bodies(tree):
    """Every statement list inside the kernel and the function, with its owner."""
    out = []
    for fdef in _functions(tree):
        for node in ast.walk(fdef):
            for field in ("body", "orelse"):
                body = getattr(node, field, None)
                if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                    out.append((node, body))
    return out


def _nodes(tree, kind):
    """The nodes of type ``kind`` in the code, but those that keep `while` loops finite (a
    loop's test and counter update): a mutant must never loop forever."""
    guarded = {id(sub) for f in _functions(tree) for n in ast.walk(f)
               if isinstance(n, (ast.While, ast.AugAssign))
               for sub in ast.walk(n.test if isinstance(n, ast.While) else n)}
    return [n for f in _functions(tree) for n in ast.walk(f)
            if isinstance(n, kind) and id(n) not in guarded]


def _stmt(text):
    return ast.parse(text).body[0]


def _insert(rng, tree, seed, text, owner=None):
    """Insert the statement ``text`` (``T``, ``F``, ``I``, ``V``, ``M``, ``Q``, ``A`` name
    values of each type) into the kernel, after its first ``ready`` statements."""
    names = seed["names"]
    repl = {"F": names.get("float"), "I": names.get("int"), "V": names.get("vec3"),
            "M": names.get("mat33"), "Q": names.get("quat"), "A": names.get("array")}
    for key in re.findall(r"\b([FIVMQA])\b", text):
        if repl[key] is None:
            return None
    text = re.sub(r"\b([FIVMQA])\b", lambda m: repl[m.group(1)], text)
    text = re.sub(r"\bt\b", "t_new", text)  # (a new name: the programs have a 't')
    node = _stmt(text)
    owner = owner or _kernel(tree)
    ready = seed["ready"] if owner is _kernel(tree) else 0
    owner.body.insert(rng.randint(ready, len(owner.body)), node)
    return node


def delete_statement(rng, tree, seed):
    choices = [(body, k) for _, body in _bodies(tree) for k, s in enumerate(body)
               if not isinstance(s, ast.AugAssign)]  # (a while loop's counter update)
    body, k = rng.choice(choices)
    del body[k]
    if not body:
        body.append(ast.Pass())
    return None if k >= len(body) else body[k], False


BINOPS = [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult,
          ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift]


def swap_operator(rng, tree, seed):
    nodes = _nodes(tree, ast.BinOp)
    node = rng.choice(nodes)
    node.op = rng.choice([op for op in BINOPS if not isinstance(node.op, op)])()
    return node, False


def undefined_name(rng, tree, seed):
    code = {id(n) for f in _functions(tree) for stmt in f.body for n in ast.walk(stmt)}
    nodes = [n for n in _nodes(tree, ast.Name) if isinstance(n.ctx, ast.Load) and id(n) in code]
    node = rng.choice(nodes)
    node.id = rng.choice(["undefined_thing", "wp_vec3", "tid", "np_sum"])
    return node, True


ANNOTATIONS = ["str", "list", "dict", "wp.vec3", "wp.vec2", "int", "float", "wp.mat22",
               "wp.quat", "wp.int64", "bool", "wp.array(dtype=str)", "wp.array(dtype=wp.vec2)",
               "wp.array(dtype=float, ndim=2)", "wp.array(dtype=wp.int32)", "np.ndarray",
               "wp.array2d(dtype=float)", "wp.array(dtype=wp.mat33)", "wp.float64",
               "wp.array", "SCALE", "plain_helper", "wp.types.vector(length=3, dtype=str)"]


def bad_annotation(rng, tree, seed):
    fdef = rng.choice(_functions(tree))
    arg = rng.choice(fdef.args.args)
    arg.annotation = ast.parse(rng.choice(ANNOTATIONS), mode="eval").body
    return arg, False


def argument_count(rng, tree, seed):
    calls = [c for c in _nodes(tree, ast.Call) if c.args]
    call = rng.choice(calls)
    if rng.random() < 0.5:
        del call.args[rng.randrange(len(call.args))]
    else:
        call.args.insert(rng.randint(0, len(call.args)), copy.deepcopy(rng.choice(call.args)))
    return call, False


def swap_arguments(rng, tree, seed):
    calls = [c for c in _nodes(tree, ast.Call) if len(c.args) >= 2]
    call = rng.choice(calls)
    rng.shuffle(call.args)
    return call, False


NUMPY = ["t = np.linalg.norm(V)", "t = np.sum(A)", "t = np.zeros(3)", "t = np.dot(V, V)",
         "t = np.linalg.inv(M)", "t = np.sin(F)", "t = np.array([F, F])", "A[0] = np.mean(A)",
         "t = np.sum(V)", "t = np.float32(F)", "t = np.cross(V, V)"]


def numpy_call(rng, tree, seed):
    return _insert(rng, tree, seed, rng.choice(NUMPY)), True


def recursion(rng, tree, seed):
    fdef = _func(tree)
    returns = [n for n in ast.walk(fdef) if isinstance(n, ast.Return) and n.value is not None]
    ret = rng.choice(returns)
    params = [ast.Name(a.arg, ast.Load()) for a in fdef.args.args]
    ret.value = ast.Call(ast.Name(fdef.name, ast.Load()), params, [])
    return ret, True


RETYPED = ["wp.vec3(1.0, 2.0, 3.0)", "1", "wp.float64(1.0)", "True", "wp.mat33()",
           "wp.int8(3)", "wp.quat()", "wp.vec2(1.0, 2.0)", "0.5", "wp.uint32(7)"]


def retype_in_loop(rng, tree, seed):
    loops = _nodes(tree, (ast.For, ast.While))
    if not loops:
        return None
    loop = rng.choice(loops)
    owner = next(f for f in _functions(tree) if loop in list(ast.walk(f)))
    names = sorted({t.id for n in ast.walk(owner) if isinstance(n, ast.Assign)
                    for t in n.targets if isinstance(t, ast.Name)} - LOOP_COUNTERS)
    node = _stmt(f"{rng.choice(names)} = {rng.choice(RETYPED)}")
    loop.body.insert(rng.randint(0, len(loop.body)), node)
    return node, False


UNSUPPORTED = ["t = [k2 for k2 in range(3)]", "try:\n    t = F\nexcept Exception:\n    pass",
               "f2 = lambda u: u * 2.0", "return F", "d2 = {'a': 1.0}", "t = f'{F}'", "del F",
               "global SCALE", "with wp.ScopedDevice('cpu'):\n    pass", "t = (u := 1.0)",
               "import math", "t = [1.0, 2.0]", "t = {1, 2}", "def inner():\n    pass",
               "class C:\n    pass", "for k2 in range(3):\n    pass\nelse:\n    pass",
               "for k2, k3 in range(3):\n    pass", "raise ValueError('x')", "t = b'x'",
               "t = 1j", "yield F", "t = {k2: k2 for k2 in range(3)}",
               "t = (k2 for k2 in range(3))", "t = TABLE[0]", "t = plain_helper(F)",
               "t = 'text'", "t = None", "t = A", "t = A[0:2]", "t = len(F)",
               "for v2 in A:\n    pass", "t = range(3)", "t = x2, *y2 = (1.0, 2.0)",
               "print(*A)", "t = F if F else None", "t = wp.static(TABLE)",
               "t = A.shape[7]", "t = wp.tid() + wp.tid()"]


def unsupported_syntax(rng, tree, seed):
    return _insert(rng, tree, seed, rng.choice(UNSUPPORTED)), True


def float_index(rng, tree, seed):
    subs = [s for s in _nodes(tree, ast.Subscript) if isinstance(s.ctx, ast.Load)]
    if subs and rng.random() < 0.6:
        sub = rng.choice(subs)
        sub.slice = ast.parse(rng.choice(["1.5", "0.5 * 3.0", "wp.float32(1.0)", "'x'",
                                          "(1.0, 2.0)", "wp.vec3()"]),
                              mode="eval").body
        return sub, True
    return _insert(rng, tree, seed, rng.choice(["t = V[1.5]", "t = M[0.0, 1]", "t = A[F]",
                                                "t = Q[2.5]", "t = V[3]", "t = M[3]"])), True


MISMATCHED = ["t = wp.length(1.0)", "t = wp.cross(V, wp.vec2(1.0, 2.0))", "t = wp.dot(V, 1.0)",
              "t = wp.normalize(1)", "t = wp.sin(V)", "t = wp.transpose(V)",
              "t = wp.quat_rotate(V, V)", "t = wp.vec3(1.0, 2.0)", "t = wp.mat33(1.0, 2.0)",
              "t = wp.min(V, 1.0)", "t = wp.atomic_add(1.0, 0, 1.0)", "t = wp.clamp(V, 0.0)",
              "t = wp.int32(V)", "t = float(V)", "t = wp.vec3(V, 1.0)", "t = wp.inverse(V)",
              "t = wp.determinant(F)", "t = wp.atomic_add(A, 0, V)", "t = wp.sqrt('x')",
              "t = wp.dot(M, M)", "t = wp.outer(F, V)", "t = wp.quat_from_axis_angle(F, V)",
              "t = wp.vec3(1.0, 2.0, 3.0, 4.0)", "t = wp.identity(n=F, dtype=float)",
              "t = wp.select(V, 1.0, 2.0)", "t = wp.length(A)", "t = V + M", "t = M * Q",
              "t = V < V", "t = I + V", "t = -A", "t = not V", "t = V and M",
              "t = wp.lerp(V, M, 0.5)"]


def builtin_types(rng, tree, seed):
    return _insert(rng, tree, seed, rng.choice(MISMATCHED)), True


ATTRIBUTES = ["t = V.w", "t = M.x", "t = F.x", "t = A.foo", "t = wp.vec3.bogus",
              "t = Q.q", "t = wp.not_a_builtin(F)", "t = np.no_such_numpy(F)",
              "t = A.shape.x", "V.w = 1.0", "t = I.real", "t = SCALE.x", "t = M.T"]


def bad_attribute(rng, tree, seed):
    attrs = [a for a in _nodes(tree, ast.Attribute) if isinstance(a.value, ast.Name)
             and a.value.id != "wp" and isinstance(a.ctx, ast.Load)]
    if attrs and rng.random() < 0.3:
        attr = rng.choice(attrs)
        attr.attr = rng.choice(["w", "foo", "xyz", "shape"])
        return attr, True
    return _insert(rng, tree, seed, rng.choice(ATTRIBUTES)), True


STORES = ["A[wp.tid()] = V", "A[0] = M", "A = 1.0", "A[0, 0, 0] = F", "A[wp.tid()].x = F",
          "V[0] = V", "M[0] = F", "M[0, 0] = V", "F[0] = 1.0", "A[0] = 'x'", "V.x = V",
          "A[0] += V", "SCALE = 3.0", "wp.tid = 1"]


def wrong_store(rng, tree, seed):
    return _insert(rng, tree, seed, rng.choice(STORES)), True


CONSTANTS = ["'text'", "None", "True", "1e40", "2 ** 40", "-1", "3", "b'x'", "(1.0, 2.0)",
             "wp.vec3()", "1e-50", "2 ** 70"]


def change_constant(rng, tree, seed):
    consts = _nodes(tree, ast.Constant)
    node = rng.choice(consts)
    new = ast.parse(rng.choice(CONSTANTS), mode="eval").body
    ast.copy_location(new, node)
    for parent in [n for f in _functions(tree) for n in ast.walk(f)]:
        for field, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, field, new)
            elif isinstance(value, list) and node in value:
                value[value.index(node)] = new
    return new, False


COMPARES = [ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In,
            ast.NotIn]


def change_comparison(rng, tree, seed):
    nodes = _nodes(tree, ast.Compare)
    if not nodes:
        return None
    node = rng.choice(nodes)
    if rng.random() < 0.3 and seed["names"].get("vec3"):
        node.left = ast.Name(seed["names"]["vec3"].split("[")[0], ast.Load())
    else:
        node.ops = [rng.choice(COMPARES)()]
    return node, False


CONTROL = ["break", "continue", "return", "wp.tid()", "pass"]


def control_flow(rng, tree, seed):
    fdef = rng.choice(_functions(tree))
    return _insert(rng, tree, seed, rng.choice(CONTROL), owner=fdef), False


MUTATIONS = [delete_statement, swap_operator, undefined_name, bad_annotation, argument_count,
             swap_arguments, numpy_call, recursion, retype_in_loop, unsupported_syntax,
             float_index, builtin_types, bad_attribute, wrong_store, change_constant,
             change_comparison, control_flow]


# -- the mutants -------------------------------------------------------------------------

def make_mutant(index: int):
    """(kind, seed name, source, target line or None, exact) of mutant ``index``."""
    rng = random.Random(index)
    mutation = MUTATIONS[index % len(MUTATIONS)]
    for _ in range(20):
        name = rng.choice(SEED_NAMES)
        seed = SEEDS[name]
        tree = ast.parse(HEADER + seed["src"])
        result = mutation(rng, tree, seed)
        if result is None or result[0] is None and mutation is not delete_statement:
            continue
        node, exact = result
        ast.fix_missing_locations(tree)
        order = list(ast.walk(tree))
        src = ast.unparse(tree) + "\n"
        line = None
        if node is not None:  # the same node in the written text (same tree shape)
            line = list(ast.walk(ast.parse(src)))[order.index(node)].lineno
        return mutation.__name__, name, src, line, exact
    raise AssertionError(f"mutation {mutation.__name__} applies to no program")


FORBIDDEN = [r"Failed in \w+ mode", r"OverloadSelector", r"setitem>\)", r"<class 'numba",
             r"numba\.core", r"numba\.", r"unsupported opcode", r"Untyped global name",
             r"[Dd]uring: ", r"resolving callee type", r"NumbaError", r"TypingError",
             r"nopython", r" at 0x[0-9a-f]+", r"Function\(<", r"No implementation of function",
             r"With argument\(s\)", r">>> ", r"\$\w*\d", r"_wp_", r"<source elided>",
             r"Rejected as", r"Known signatures", r"reflected list", r"Traceback",
             r"array\(\w+, \d+d, [CAF]\)", r"Literal\[", r"NRT", r"LLVM", r"lowering",
             r"analyze the bytecode", r"Cannot unify", r"defined at", r"must be Sets",
             r"Unknown attribute", r"Unsupported array index", r"UniTuple", r"unicode_type"]


def check_error(exc, path, src, line, exact):
    """``exc`` is a clear rejection of the mutant at ``path``: a WarpCodegenError (or
    Python's SyntaxError) at a line of its code (``exact``: at ``line``), in the user's
    terms."""
    msg = str(exc)
    base = os.path.basename(path)
    assert isinstance(exc, (wp.WarpCodegenError, SyntaxError)), \
        f"{type(exc).__name__} instead of a WarpCodegenError: {msg}"
    if isinstance(exc, SyntaxError) and not isinstance(exc, wp.WarpCodegenError):
        # Python's own, raised when the mutant is imported: Python names the place
        assert exc.filename == path and exc.lineno, msg
        return
    found = [int(n) for f, n in re.findall(r'File "([^"]+)", line (\d+)', msg)
             if os.path.basename(f) == base]
    assert found, f"the error does not name the mutant's file and line:\n{msg}"
    first = src.splitlines().index(next(t for t in src.splitlines() if t.startswith("@wp.")))
    assert all(n > first for n in found), f"line {found} is outside the code:\n{msg}"
    if exact and line is not None:
        assert line in found, f"expected line {line}:\n{msg}"
    others = [p for p in re.findall(r"[\w/.-]+\.py\b", msg) if os.path.basename(p) != base]
    assert not others, f"the error names other files ({others}):\n{msg}"
    for pattern in FORBIDDEN:
        assert not re.search(pattern, msg), f"Numba's wording ({pattern!r}) in:\n{msg}"
    assert len(msg) < 2000, msg


def run_mutant(index: int):
    """Import, compile and launch mutant ``index``; returns (kind, outcome, message)."""
    kind, seed_name, src, line, exact = make_mutant(index)
    seed = SEEDS[seed_name]
    digest = hashlib.sha256(src.encode()).hexdigest()[:16]
    path = os.path.join(source_dir("mutants"), f"mutant_{seed_name}_{digest}.py")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mod = import_source(src, "mutants", f"mutant_{seed_name}", f"wp_mutant_{digest}")
            kernel = getattr(mod, seed_name)
            wp.load_module(mod, device="cpu")
            if kind != "bad_annotation":  # (the arguments are the original types')
                wp.launch(kernel, seed["dim"], inputs=seed["args"](), device="cpu")
                wp.synchronize()
        except Exception as exc:  # noqa: BLE001 - each is checked
            try:
                if isinstance(exc, (SyntaxError, wp.WarpCodegenError)):
                    check_error(exc, path, src, line, exact)
                else:
                    # Python running the module's code (an annotation is evaluated when
                    # its 'def' runs): an ordinary exception, with the user's line in its
                    # traceback
                    frames = traceback.extract_tb(exc.__traceback__)
                    assert any(f.filename == path for f in frames), \
                        f"{type(exc).__name__} instead of a WarpCodegenError: {exc}"
                _check_warnings(caught, path)
            except AssertionError as failure:
                raise AssertionError(f"mutant {index} ({kind}):\n{src}\n{failure}") from exc
            return kind, "error", str(exc)
    _check_warnings(caught, path)
    return kind, "ran", ""


def _check_warnings(caught, path):
    """What the decorators found is reported at a line of the mutant."""
    for w in caught:
        if issubclass(w.category, WarpCodegenWarning):
            assert w.filename == path and w.lineno > 0, (w.filename, w.lineno, str(w.message))


def test_seed_programs_compile_and_run():
    for name, seed in SEEDS.items():
        mod = import_source(HEADER + seed["src"], "mutants", f"seed_{name}", f"wp_seed_{name}")
        wp.launch(getattr(mod, name), seed["dim"], inputs=seed["args"](), device="cpu")


@pytest.mark.parametrize("index", range(MUTANTS))
def test_mutant_compiles_or_fails_clearly(index):
    run_mutant(index)
