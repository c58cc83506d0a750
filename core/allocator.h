#pragma once

namespace pgcn {

/**
 * Sets glibc's allocator up for LibTorch's tensors: large, freed every Langevin
 * step and allocated again at once. Every thread allocates from one heap (an
 * arena of another thread serves blocks above 64 MB with fresh mmap()s, so a
 * batch sampled on the studio's worker thread page-faulted its activations in
 * again at every step, measured 40 % slower), that heap never uses mmap() and
 * never gives memory back by itself: a long-lived process calls
 * releaseFreeMemory() after a job. It must run before a second thread
 * allocates (a thread keeps the arena it first allocated from), so it runs
 * when the program starts, before main(), in every program linking the core
 * (calling it again does nothing). Does nothing outside glibc.
 */
void configureAllocator();

/** Gives the heap's unused memory back to the system (after a job; see configureAllocator). */
void releaseFreeMemory();

} // namespace pgcn
