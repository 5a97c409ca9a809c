/*  mem.h — growing an array: the one realloc-doubling step every module
    that collects items of unknown count (rows, keys, notes) needs. */
#ifndef CCHC_MEM_H
#define CCHC_MEM_H

#include <stddef.h>

/*  Make room for one more item in the array at *items_p (a pointer to the
    array's pointer, of any item type) that holds `count` items of `size`
    bytes and has room for *alloc: when full it doubles (from `first` items
    when empty).  0, or -1 on out of memory (the array is unchanged). */
int cchc_grow (void *items_p, size_t *alloc, size_t count, size_t size, size_t first);

#endif
