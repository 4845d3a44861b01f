"""Gradient-table rows: the matrix decompositions (see gradtable.py).

The analytic adjoints hold for distinct singular values / eigenvalues, so most rows use
matrices with well-separated ones (m33s, m22s, sym33s); the others are random matrices.
"""

from .gradtable import Row

ROWS = [
    Row("svd3", ["m33s"], ["m33", "v3", "m33"]),
    Row("svd3", ["m33"], ["m33", "v3", "m33"], tol=1e-4, key="svd3(random m33)"),
    Row("svd2", ["m22s"], ["m22", "v2", "m22"]),
    Row("svd2", ["m22"], ["m22", "v2", "m22"], tol=1e-4, key="svd2(random m22)"),
    Row("qr3", ["m33s"], ["m33", "m33"]),
    Row("qr3", ["m33"], ["m33", "m33"], tol=1e-4, key="qr3(random m33)"),
    Row("eig3", ["sym33s"], ["m33", "v3"]),
    Row("eig3", ["spd33"], ["m33", "v3"], tol=1e-4, key="eig3(random spd33)"),
]
