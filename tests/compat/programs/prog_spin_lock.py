"""Locked histogram: per-bin spin locks guard a two-field update that atomics cannot.

A Warp program (written for this suite, in Warp's public API). Every thread hashes its
index to a bin, takes that bin's lock with ``wp.atomic_cas``, updates the bin's count and
its running maximum of a per-thread value together (read-modify-write through
``wp.atomic_exch`` reads, so no stale value is used), and releases the lock with
``wp.atomic_exch``. The result is independent of thread order; ``run`` returns it with
the locks' final state.
"""

import numpy as np
import warp as wp


@wp.func
def lock_acquire(locks: wp.array[int], k: int):
    while wp.atomic_cas(locks, k, 0, 1) != 0:
        pass


@wp.func
def lock_release(locks: wp.array[int], k: int):
    wp.atomic_exch(locks, k, 0)


@wp.func
def read_through(a: wp.array[int], k: int):
    # an atomic read: the value another thread stored under the lock, never a stale copy
    return wp.atomic_add(a, k, 0)


@wp.func
def bin_of(t: int, nbins: int):
    h = wp.uint32(t) * wp.uint32(1597334677)
    return int(h >> wp.uint32(7)) % nbins


@wp.kernel
def histogram(locks: wp.array[int], counts: wp.array[int], best: wp.array[int],
              best_owner: wp.array[int], nbins: int):
    t = wp.tid()
    k = bin_of(t, nbins)
    # scores are distinct (the thread index breaks ties), so the maximum's owner is unique
    score = ((t * 7919) % 10007) * 65536 + t
    lock_acquire(locks, k)
    n = read_through(counts, k)
    wp.atomic_exch(counts, k, n + 1)
    if score > read_through(best, k):
        # the maximum and who holds it change together: the reason for the lock
        wp.atomic_exch(best, k, score)
        wp.atomic_exch(best_owner, k, t)
    lock_release(locks, k)


def run(device, threads=20000, nbins=16):
    assert threads < 65536
    with wp.ScopedDevice(device):
        locks = wp.zeros(nbins, dtype=int)
        counts = wp.zeros(nbins, dtype=int)
        best = wp.full(nbins, -1, dtype=int)
        owner = wp.full(nbins, -1, dtype=int)
        wp.launch(histogram, dim=threads, inputs=[locks, counts, best, owner, nbins])
        return {"counts": counts.numpy(), "best": best.numpy(), "owner": owner.numpy(),
                "locks": locks.numpy(), "threads": np.array(threads)}
