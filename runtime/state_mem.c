/* state_mem.c: memory of state that shrinks (spec section 9).
 *
 * mapWithState and Spark's updateStateByKey free what removed keys held by
 * rebuilding their maps; the arrays freed are big (MBs). glibc raises its
 * mmap threshold each time such a block is freed (up to 32 MiB), after
 * which blocks of that size come from the heap, which does not give back
 * what lies between live blocks: RSS then grows with every rebuild (a
 * 1.2M-key state went from 320 MB to 660 MB in 300 batches). A fixed
 * threshold keeps blocks of 2 MiB and more (st_big_alloc's big arrays) in
 * their own mappings, returned when freed. */
#include <malloc.h>

void st_state_memory(void);

void st_state_memory(void)
{
    static int done;
    if (!done) {
        done = 1;
        mallopt(M_MMAP_THRESHOLD, 2 << 20);
    }
}
