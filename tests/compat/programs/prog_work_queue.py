"""Task tree: workers drain a lock-free queue whose tasks spawn more tasks.

A Warp program (written for this suite, in Warp's public API). A ``@wp.struct`` holds a
bounded queue (slots, head and tail counters). Task ``k`` spawns tasks ``2k+1`` and
``2k+2`` while they are below a limit, so starting from task 0 the workers must process
every task below the limit exactly once, whatever the order. ``dequeue`` returns a
``(bool, int)`` tuple. An enqueuer reserves a slot by advancing the tail with
``wp.atomic_cas`` and then stores ``task + 1`` there; a dequeuer that claimed a slot takes
its value with ``wp.atomic_exch(slot, 0)`` until it is not 0, so it never reads a task
before it is written (one memory location per hand-over: no ordering between locations is
assumed). ``run`` returns how often each task ran and the counters.
"""

import numpy as np
import warp as wp


@wp.struct
class TaskQueue:
    slots: wp.array[int]
    head: wp.array[int]
    tail: wp.array[int]
    capacity: int


@wp.func
def atomic_read(a: wp.array[int], k: int):
    return wp.atomic_add(a, k, 0)


@wp.func
def enqueue(q: TaskQueue, task: int) -> bool:
    while True:
        tail = atomic_read(q.tail, 0)
        if tail - atomic_read(q.head, 0) >= q.capacity:
            return False
        if wp.atomic_cas(q.tail, 0, tail, tail + 1) == tail:
            wp.atomic_exch(q.slots, tail % q.capacity, task + 1)
            return True


@wp.func
def dequeue(q: TaskQueue) -> tuple[bool, int]:
    while True:
        head = atomic_read(q.head, 0)
        if head >= atomic_read(q.tail, 0):
            return False, -1
        if wp.atomic_cas(q.head, 0, head, head + 1) == head:
            slot = head % q.capacity
            while True:
                stored = wp.atomic_exch(q.slots, slot, 0)
                if stored != 0:
                    return True, stored - 1


@wp.kernel
def worker(q: TaskQueue, limit: int, runs: wp.array[int], per_worker: wp.array[int],
           lost: wp.array[int]):
    w = wp.tid()
    done = int(0)
    while True:
        ok, task = dequeue(q)
        if not ok:
            break
        wp.atomic_add(runs, task, 1)
        done = done + 1
        for child in range(2 * task + 1, 2 * task + 3):
            if child < limit:
                if not enqueue(q, child):
                    wp.atomic_add(lost, 0, 1)
    per_worker[w] = done


def run(device, workers=256, limit=2047, capacity=4096):
    with wp.ScopedDevice(device):
        q = TaskQueue()
        q.slots = wp.zeros(capacity, dtype=int)
        q.head = wp.zeros(1, dtype=int)
        q.tail = wp.ones(1, dtype=int)  # task 0 waits in slot 0 (stored as 0 + 1)
        q.capacity = capacity
        wp.copy(q.slots, wp.ones(1, dtype=int), count=1)
        runs = wp.zeros(limit, dtype=int)
        per_worker = wp.zeros(workers, dtype=int)
        lost = wp.zeros(1, dtype=int)
        wp.launch(worker, dim=workers, inputs=[q, limit, runs, per_worker, lost])
        return {"runs": runs.numpy(), "processed": np.array(per_worker.numpy().sum()),
                "head": q.head.numpy(), "tail": q.tail.numpy(), "lost": lost.numpy()}
