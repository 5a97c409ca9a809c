/*  keytab.c — enrolled keys in two sorted arrays (by signing key, by
    transport key) behind a read-write lock; see keytab.h. */
#include "collector/ingest/keytab.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct cchc_keytab_t {
    pthread_rwlock_t lock;
    cchc_keytab_entry_t *by_key;    /* sorted by pubkey */
    cchc_keytab_entry_t **by_curve; /* into by_key, sorted by curve */
    size_t size;                    /* entries in by_key */
    size_t ncurve;                  /* entries in by_curve */
};

cchc_keytab_t *
cchc_keytab_new (void)
{
    cchc_keytab_t *self = calloc (1, sizeof *self);
    if (self && pthread_rwlock_init (&self->lock, NULL)) {
        free (self);
        return NULL;
    }
    return self;
}

void
cchc_keytab_destroy (cchc_keytab_t **self_p)
{
    assert (self_p);
    cchc_keytab_t *self = *self_p;
    if (!self)
        return;
    pthread_rwlock_destroy (&self->lock);
    free (self->by_key);
    free (self->by_curve);
    free (self);
    *self_p = NULL;
}

typedef struct {
    cchc_keytab_entry_t *entries;
    size_t size, cap;
    bool nomem;
} s_build_t;

static int
s_add (const cchc_db_agent_t *agent, void *arg)
{
    s_build_t *build = arg;
    if (build->size == build->cap) {
        size_t cap = build->cap ? build->cap * 2 : 64;
        cchc_keytab_entry_t *bigger = realloc (build->entries, cap * sizeof *bigger);
        if (!bigger) {
            build->nomem = true;
            return -1;
        }
        build->entries = bigger;
        build->cap = cap;
    }
    cchc_keytab_entry_t *entry = &build->entries [build->size++];
    memset (entry, 0, sizeof *entry);
    entry->id = agent->id;
    memcpy (entry->pubkey, agent->pubkey, 32);
    entry->curve_ok = crypto_sign_ed25519_pk_to_curve25519 (entry->curve, agent->pubkey) == 0;
    memcpy (entry->unit, agent->unit, sizeof entry->unit);
    entry->revoked = agent->revoked;
    return 0;
}

static int
s_cmp_key (const void *a, const void *b)
{
    return memcmp (((const cchc_keytab_entry_t *) a)->pubkey,
                   ((const cchc_keytab_entry_t *) b)->pubkey, 32);
}

static int
s_cmp_curve (const void *a, const void *b)
{
    const cchc_keytab_entry_t *x = *(cchc_keytab_entry_t *const *) a;
    const cchc_keytab_entry_t *y = *(cchc_keytab_entry_t *const *) b;
    return memcmp (x->curve, y->curve, 32);
}

int
cchc_keytab_load (cchc_keytab_t *self, cchc_db_t *store)
{
    assert (self && store);
    s_build_t build = { NULL, 0, 0, false };
    if (cchc_db_agents_each (store, s_add, &build)) {
        free (build.entries);
        return -1;
    }
    cchc_keytab_entry_t **by_curve = NULL;
    size_t ncurve = 0;
    if (build.size) {
        qsort (build.entries, build.size, sizeof *build.entries, s_cmp_key);
        by_curve = malloc (build.size * sizeof *by_curve);
        if (!by_curve) {
            free (build.entries);
            return -1;
        }
        for (size_t i = 0; i < build.size; i++)
            if (build.entries [i].curve_ok)
                by_curve [ncurve++] = &build.entries [i];
        qsort (by_curve, ncurve, sizeof *by_curve, s_cmp_curve);
    }
    pthread_rwlock_wrlock (&self->lock);
    cchc_keytab_entry_t *old_key = self->by_key;
    cchc_keytab_entry_t **old_curve = self->by_curve;
    self->by_key = build.entries;
    self->by_curve = by_curve;
    self->size = build.size;
    self->ncurve = ncurve;
    pthread_rwlock_unlock (&self->lock);
    free (old_key);
    free (old_curve);
    return 0;
}

bool
cchc_keytab_lookup (cchc_keytab_t *self, const uint8_t pubkey [32], cchc_keytab_entry_t *out)
{
    assert (self && pubkey && out);
    cchc_keytab_entry_t probe;
    memcpy (probe.pubkey, pubkey, 32);
    pthread_rwlock_rdlock (&self->lock);
    const cchc_keytab_entry_t *found =
        self->size ? bsearch (&probe, self->by_key, self->size, sizeof probe, s_cmp_key)
                   : NULL;
    if (found)
        *out = *found;
    pthread_rwlock_unlock (&self->lock);
    return found != NULL;
}

bool
cchc_keytab_lookup_curve (cchc_keytab_t *self, const uint8_t curve [32],
                          cchc_keytab_entry_t *out)
{
    assert (self && curve && out);
    pthread_rwlock_rdlock (&self->lock);
    bool found = false;
    size_t lo = 0, hi = self->ncurve;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = memcmp (curve, self->by_curve [mid]->curve, 32);
        if (cmp == 0) {
            *out = *self->by_curve [mid];
            found = true;
            break;
        }
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    pthread_rwlock_unlock (&self->lock);
    return found;
}

size_t
cchc_keytab_size (cchc_keytab_t *self)
{
    assert (self);
    pthread_rwlock_rdlock (&self->lock);
    size_t size = self->size;
    pthread_rwlock_unlock (&self->lock);
    return size;
}
