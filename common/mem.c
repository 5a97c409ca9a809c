/*  mem.c — growing an array (mem.h). */
#include "common/mem.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
cchc_grow (void *items_p, size_t *alloc, size_t count, size_t size, size_t first)
{
    assert (items_p && alloc && size > 0 && first > 0 && count <= *alloc);
    if (count < *alloc)
        return 0;
    size_t want = *alloc ? *alloc * 2 : first;
    if (want < *alloc || want > SIZE_MAX / size)
        return -1;
    void *items;
    memcpy (&items, items_p, sizeof items);
    void *grown = realloc (items, want * size);
    if (!grown)
        return -1;
    memcpy (items_p, &grown, sizeof grown);
    *alloc = want;
    return 0;
}
