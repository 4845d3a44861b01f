"""Thread synchronisation written in kernel code, in the structure of Warp's examples
``example_spin_lock.py`` and ``example_work_queue.py``: spin loops on ``wp.atomic_cas``,
``while True`` loops in functions that return from inside the loop, multiple returns
(``-> tuple[bool, int]``), and a struct holding arrays.

Launched with more threads than ``config.cpu_parallel_threshold``, so the CPU runs them
on all cores at once. (Warp's own work-queue example writes past its 4096-element buffer
with a capacity of 8192, under Warp too; the queue here is as large as its capacity, and
a slot is published with an atomic exchange that the reader waits for, so a reader never
takes a slot before it is written.)
"""

import numpy as np

import numba_warp as wp

THREADS = 16384  # above the CPU's serial threshold: real concurrency


@wp.func
def spinlock_acquire(lock: wp.array(dtype=int)):
    while wp.atomic_cas(lock, 0, 0, 1) == 1:
        pass


@wp.func
def spinlock_release(lock: wp.array(dtype=int)):
    wp.atomic_exch(lock, 0, 0)


@wp.func
def volatile_read(ptr: wp.array(dtype=int), index: int):
    value = wp.atomic_exch(ptr, index, 0)
    wp.atomic_exch(ptr, index, value)
    return value


@wp.kernel
def spinlock_counter(counter: wp.array(dtype=int), atomic_counter: wp.array(dtype=int),
                     lock: wp.array(dtype=int)):
    spinlock_acquire(lock)
    value = volatile_read(counter, 0)
    counter[0] = value + 1
    spinlock_release(lock)
    wp.atomic_add(atomic_counter, 0, 1)


def test_spin_lock_counter_reaches_thread_count(device):
    lock = wp.array([0], dtype=int, device=device)
    counter = wp.zeros(1, dtype=int, device=device)
    atomic_counter = wp.zeros(1, dtype=int, device=device)
    wp.launch(spinlock_counter, dim=THREADS, inputs=[counter, atomic_counter, lock],
              device=device)
    assert atomic_counter.numpy()[0] == THREADS
    assert counter.numpy()[0] == THREADS
    assert lock.numpy()[0] == 0


@wp.func
def atomic_read(ptr: wp.array(dtype=int), index: int):
    return wp.atomic_add(ptr, index, 0)


@wp.struct
class WorkQueue:
    buffer: wp.array(dtype=int)
    capacity: int
    head: wp.array(dtype=int)
    tail: wp.array(dtype=int)


@wp.func
def enqueue(queue: WorkQueue, item: int) -> bool:
    while True:
        current_tail = atomic_read(queue.tail, 0)
        current_head = atomic_read(queue.head, 0)
        if (current_tail - current_head) >= queue.capacity:
            return False
        index = current_tail % queue.capacity
        if wp.atomic_cas(queue.tail, 0, current_tail, current_tail + 1) == current_tail:
            wp.atomic_exch(queue.buffer, index, item)  # publish the slot
            return True


@wp.func
def dequeue(queue: WorkQueue) -> tuple[bool, int]:
    while True:
        current_head = atomic_read(queue.head, 0)
        current_tail = atomic_read(queue.tail, 0)
        if current_head >= current_tail:
            return False, 0
        index = current_head % queue.capacity
        item = atomic_read(queue.buffer, index)
        if item >= 0:  # (-1: claimed by a writer that has not published it yet)
            if wp.atomic_cas(queue.head, 0, current_head, current_head + 1) == current_head:
                return True, item


@wp.kernel
def process_queue(queue: WorkQueue, seen: wp.array(dtype=int), failed: wp.array(dtype=int),
                  per_thread: wp.array(dtype=int)):
    counter = int(0)
    while True:
        success, item = dequeue(queue)
        if not success:
            break
        if item < 1000000:
            wp.atomic_add(seen, item, 1)
            if not enqueue(queue, item + 1000000):
                wp.atomic_add(failed, 0, 1)
        else:
            wp.atomic_add(seen, item - 1000000 + 4096, 1)
        counter = counter + 1
    per_thread[wp.tid()] = counter


def test_work_queue_processes_every_item_once(device):
    n = 4096
    buffer = np.full(2 * n, -1, dtype=np.int32)
    buffer[:n] = np.arange(n)
    queue = WorkQueue()
    queue.capacity = 2 * n
    queue.buffer = wp.array(buffer, dtype=int, device=device)
    queue.head = wp.array([0], dtype=int, device=device)
    queue.tail = wp.array([n], dtype=int, device=device)
    seen = wp.zeros(2 * n, dtype=int, device=device)
    failed = wp.zeros(1, dtype=int, device=device)
    per_thread = wp.zeros(THREADS, dtype=int, device=device)
    wp.launch(process_queue, dim=THREADS, inputs=[queue, seen, failed, per_thread],
              device=device)
    np.testing.assert_array_equal(seen.numpy(), np.ones(2 * n))
    assert failed.numpy()[0] == 0
    assert per_thread.numpy().sum() == 2 * n
    assert queue.head.numpy()[0] == 2 * n and queue.tail.numpy()[0] == 2 * n
