"""Lookup tables of the isosurface extractors, generated from the geometry of a cube.

A grid cell is a cube with 8 corners and 12 edges, numbered as in Lorensen and Cline's
marching cubes (and Warp's ``IsoSurfaceMarchingCubes.CUBE_CORNER_OFFSETS`` /
``EDGE_TO_CORNERS``): corners 0-3 go round the face z = 0, corners 4-7 round z = 1, edges
0-3 and 4-7 follow them, edges 8-11 join corner ``i`` to ``i + 4``. A cell's *case* is the
8-bit mask of its corners whose value is ``>= threshold`` ("above"; for a signed distance
field: outside).

In each case the edges with one end above and one below cross the surface. On each face
of the cube they pair up into segments: a face with two crossing edges has one segment;
a face with four (corners above and below alternating: an *ambiguous* face) has two, and
both extractors resolve it the same way (Warp's marching cubes and OpenVDB's surface
nets, which Warp ports, agree): the segments cut off the face's two *above* corners, so
the below corners are connected through the face. The segments chain into closed loops
(each crossing edge lies on two faces), one per sheet of surface in the cell:

* marching cubes triangulates each loop, oriented so that the triangles' normals
  (counter-clockwise winding) point to the above side: outward for a signed distance
  field, as Warp's. No diagonal may join two crossings on one face (the neighbouring
  cell could draw the same one: a mesh edge with four triangles), so each loop gets the
  first triangulation whose diagonals all cross the cell's inside;
* surface nets places one vertex per loop (an *edge group*).

The tables are computed on first use (256 cases, ~50 ms), nothing is copied from
elsewhere; Warp's own tables agree case by case in the number of triangles
and in which edges form each loop (tests/geometry/test_isosurface.py checks that where
Warp is installed). The triangulation of loops of more than three edges may differ from
Warp's (another diagonal), the surface's vertices and topology do not.
"""

from __future__ import annotations

import functools

__all__ = [
    "CUBE_CORNER_OFFSETS", "EDGE_TO_CORNERS", "EDGE_NODE_AXIS", "FACE_OF_AXIS_SIDE",
    "case_loops", "mc_tables", "sn_tables",
]

CUBE_CORNER_OFFSETS: tuple = (
    (0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0),
    (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1),
)
EDGE_TO_CORNERS: tuple = (
    (0, 1), (1, 2), (3, 2), (0, 3),
    (4, 5), (5, 6), (7, 6), (4, 7),
    (0, 4), (1, 5), (2, 6), (3, 7),
)


def _edge_node_axis(edge: int) -> tuple:
    """(dx, dy, dz, axis): the edge runs from the cell's node at offset (dx, dy, dz) along
    ``axis`` (its lower corner is its first corner in EDGE_TO_CORNERS)."""
    a, b = (CUBE_CORNER_OFFSETS[c] for c in EDGE_TO_CORNERS[edge])
    axis = next(d for d in range(3) if a[d] != b[d])
    return (*a, axis)


#: per edge: the node it starts from (offset in the cell) and its axis
EDGE_NODE_AXIS: tuple = tuple(_edge_node_axis(e) for e in range(12))
#: face id (0-5) of the cell face ``coordinate[axis] == side``: ``2 * axis + side``; the
#: face across it in the neighbouring cell has id ``face ^ 1``
FACE_OF_AXIS_SIDE = {(axis, side): 2 * axis + side for axis in range(3) for side in (0, 1)}


def _face_corners(face: int) -> list:
    axis, side = divmod(face, 2)
    return [c for c in range(8) if CUBE_CORNER_OFFSETS[c][axis] == side]


def _sub(a, b):
    return [x - y for x, y in zip(a, b)]


def _cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def _midpoint(edge: int) -> list:
    a, b = (CUBE_CORNER_OFFSETS[c] for c in EDGE_TO_CORNERS[edge])
    return [(x + y) / 2 for x, y in zip(a, b)]


def _oriented(face: int, e0: int, e1: int, witness: int, above: bool) -> tuple:
    """The segment between the crossings of edges e0 and e1 on ``face``, oriented so that
    the corner ``witness`` lies to its left (seen from outside the cube) if it is above,
    to its right if it is below: then the loops' normals point to the above side."""
    axis, side = divmod(face, 2)
    normal = [0, 0, 0]
    normal[axis] = 1 if side else -1
    a, b = _midpoint(e0), _midpoint(e1)
    w = CUBE_CORNER_OFFSETS[witness]
    turn = sum(n * c for n, c in zip(normal, _cross(_sub(b, a), _sub(w, a))))
    return (e0, e1) if (turn > 0) == above else (e1, e0)


def _face_segments(case: int, face: int) -> list:
    corners = _face_corners(face)
    is_above = [bool(case >> c & 1) for c in range(8)]
    crossing = [e for e in range(12) if set(EDGE_TO_CORNERS[e]) <= set(corners)
                and is_above[EDGE_TO_CORNERS[e][0]] != is_above[EDGE_TO_CORNERS[e][1]]]
    if len(crossing) == 2:
        e0, e1 = crossing
        shared = set(EDGE_TO_CORNERS[e0]) & set(EDGE_TO_CORNERS[e1])
        # adjacent edges: their shared corner is cut off; opposite edges: any corner will do
        witness = shared.pop() if shared else corners[0]
        return [_oriented(face, e0, e1, witness, is_above[witness])]
    segments = []
    for corner in corners:  # ambiguous face: a segment around each above corner
        if len(crossing) == 4 and is_above[corner]:
            e0, e1 = (e for e in crossing if corner in EDGE_TO_CORNERS[e])
            segments.append(_oriented(face, e0, e1, corner, True))
    return segments


@functools.cache
def case_loops(case: int) -> tuple:
    """The loops of crossing edges of ``case``, each a list of edge ids in the order that
    winds counter-clockwise seen from the above side, starting at its lowest edge; loops
    sorted by their first edge."""
    follow = {}
    for face in range(6):
        for e0, e1 in _face_segments(case, face):
            follow[e0] = e1
    loops, seen = [], set()
    for start in sorted(follow):
        if start in seen:
            continue
        loop, e = [], start
        while e not in seen:
            seen.add(e)
            loop.append(e)
            e = follow[e]
        loops.append(tuple(loop))
    return tuple(loops)


def ambiguous_faces(case: int) -> list:
    """The faces whose corners alternate above, below, above, below (all four edges cross)."""
    return [face for face in range(6) if len(_face_segments(case, face)) == 2]


def _edge_faces(edge: int) -> set:
    return {f for f in range(6) if set(EDGE_TO_CORNERS[edge]) <= set(_face_corners(f))}


def _splits_inside(a: int, b: int) -> bool:
    """Whether a diagonal between the crossings on edges a and b cuts through the cell (it
    must not lie in a face: the neighbouring cell could use the same pair, and the mesh
    edge would then have four triangles)."""
    return not (_edge_faces(a) & _edge_faces(b))


def triangulate(loop: tuple) -> list:
    """Triangles (edge triples, the loop's winding) filling ``loop``, with every diagonal
    through the cell's inside: the first such triangulation, trying the triangles on the
    loop's closing side (last, first) with apexes in loop order (for a loop whose vertices
    never share a face, the fan from its first edge)."""
    if len(loop) == 3:
        return [tuple(loop)]
    first, last = loop[0], loop[-1]
    for m in range(1, len(loop) - 1):
        apex = loop[m]
        if (m > 1 and not _splits_inside(first, apex)) or \
                (m < len(loop) - 2 and not _splits_inside(apex, last)):
            continue
        left = triangulate(loop[:m + 1]) if m > 1 else []
        right = triangulate(loop[m:]) if m < len(loop) - 2 else []
        if left is not None and right is not None:
            return left + [(first, apex, last)] + right
    return None


@functools.cache
def mc_tables() -> tuple:
    """(case -> first index into the triangle list, 257 values; triangle list: 3 edge ids
    per triangle) for marching cubes."""
    ranges, tris = [0], []
    for case in range(256):
        for loop in case_loops(case):
            for tri in triangulate(loop):
                tris += tri
        ranges.append(len(tris))
    return tuple(ranges), tuple(tris)


@functools.cache
def sn_tables() -> tuple:
    """(edge groups: 256 x 12 values, the 1-based loop of each crossing edge, 0 for the
    others; ambiguous face: 256 values, 1 + the face id of a case with exactly one
    ambiguous face and one loop, else 0) for surface nets. Flipping such a case (all its
    bits) resolves its ambiguous face the other way: surface nets does that where the
    neighbour across the face is such a case too, with the face across."""
    groups, ambiguous = [], []
    for case in range(256):
        loops = case_loops(case)
        row = [0] * 12
        for g, loop in enumerate(loops):
            for e in loop:
                row[e] = g + 1
        groups += row
        faces = ambiguous_faces(case)
        ambiguous.append(faces[0] + 1 if len(faces) == 1 and len(loops) == 1 else 0)
    return tuple(groups), tuple(ambiguous)
