#include "allocator.h"

#include <mutex> // and with it <features.h>, which defines __GLIBC__

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace pgcn {

void configureAllocator()
{
#if defined(__GLIBC__)
    static std::once_flag once;
    std::call_once(once, [] {
        // Every Langevin step allocates activations of tens to hundreds of megabytes
        // and frees them. Served by mmap(), or given back when the heap's free top
        // passes a threshold, each step page-faults them in again (measured: 6x
        // slower sampling with mmap; a batch of 16 at 250 px 15.9 s instead of
        // 13.0 s with a 512 MB threshold, after a training in the same process).
        // Other threads' arenas mmap() every block above 64 MB whatever M_MMAP_MAX
        // says, hence one arena.
        mallopt(M_ARENA_MAX, 1);
        mallopt(M_MMAP_MAX, 0);
        mallopt(M_TRIM_THRESHOLD, -1); // never trim by itself: releaseFreeMemory() after a job
    });
#endif
}

namespace {
// Before main(): before Qt (the studio's threads, Qt Test's watchdog) or LibTorch
// starts a thread that would get an arena of its own.
[[maybe_unused]] const bool g_configuredAtLoad = (configureAllocator(), true);
} // namespace

void releaseFreeMemory()
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

} // namespace pgcn
